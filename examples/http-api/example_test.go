package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/fnkit/fnkit/state/memstore"
)

// Example serves the API as main wires it (resilience, the default stack,
// idempotency, the routes of package orders) over an in-memory store, and
// sends a create twice with one Idempotency-Key: one order, one answer.
func Example() {
	srv := httptest.NewServer(newHTTPHandler(memstore.New(), slog.New(slog.DiscardHandler)))
	defer srv.Close()
	create := func() string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/orders", strings.NewReader(`{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "k-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprint(resp.StatusCode, " ", string(b))
	}
	first, again := create(), create()
	fmt.Println(first[:3], first == again)
	// Output: 200 true
}
