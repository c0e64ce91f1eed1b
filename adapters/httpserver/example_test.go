package httpserver_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
)

type Greeting struct {
	Name string `json:"name" validate:"required"`
}

type Reply struct {
	Message string `json:"message"`
}

func greet(ctx context.Context, g Greeting) (Reply, error) {
	return Reply{Message: "Hello, " + g.Name + "!"}, nil
}

// New adapts a handler to net/http; here it answers a binary-mode
// CloudEvent and a plain JSON POST.
func Example() {
	srv := httptest.NewServer(httpserver.New(handler.Typed(greet)))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"name":"Ada"}`))
	req.Header.Set("Ce-Specversion", "1.0")
	req.Header.Set("Ce-Id", "1")
	req.Header.Set("Ce-Source", "/example")
	req.Header.Set("Ce-Type", "com.example.greet")
	req.Header.Set("Content-Type", "application/json")
	resp, _ := http.DefaultClient.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Ce-Type"), string(body))

	resp, _ = http.Post(srv.URL, "application/json", strings.NewReader(`{"name":""}`))
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	fmt.Println(string(body))
	// Output:
	// 200 com.example.greet.reply {"message":"Hello, Ada!"}
	// 400 application/problem+json
	// {"type":"about:blank","title":"Bad Request","status":400,"detail":"name: is required","errors":[{"field":"name","rule":"required","message":"is required"}]}
}

// ListenAndServe serves until SIGTERM or SIGINT, then drains in-flight
// requests. This is what a function's main does.
func ExampleListenAndServe() {
	h := httpserver.New(handler.Typed(greet))
	if err := httpserver.ListenAndServe(context.Background(), ":8080", h); err != nil {
		fmt.Println(err)
	}
}
