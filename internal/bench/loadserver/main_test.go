package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/fnkit/fnkit/internal/bench"
)

func TestEveryImplAnswers(t *testing.T) {
	for _, impl := range []string{"bare", "fnkit", "fnkit-serve-nolog", "fnkit-stack", "fnkit-stack-buffered"} {
		t.Run(impl, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, impl, ln) }()
			r := bench.NewRequest()
			r.URL.Host = ln.Addr().String()
			r.Body = io.NopCloser(bytes.NewReader(bench.OrderJSON))
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != bench.WantReply {
				t.Fatalf("status %d body %s", resp.StatusCode, body)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("run: %v", err)
			}
		})
	}
	if err := run(context.Background(), "nope", nil); err == nil {
		t.Fatal("unknown impl accepted")
	}
}
