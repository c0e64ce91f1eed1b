package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
)

// Example serves the function as main wires it (greet's handler behind the
// default middleware stack) and sends the README's first curl request.
func Example() {
	srv := httptest.NewServer(newHTTPHandler(slog.New(slog.DiscardHandler)))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"name":"Ada"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 {"greeting":"Hello, Ada!"}
}
