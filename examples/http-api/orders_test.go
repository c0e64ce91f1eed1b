package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/examples/http-api/orders"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

// startAPI serves the API as main does, over a real loopback socket.
func startAPI(tb testing.TB, store state.Store) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, store, slog.New(slog.DiscardHandler), httpserver.WithDrainDelay(0)) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("run: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

type httpResult struct {
	status int
	header http.Header
	body   string
}

func post(tb testing.TB, url, key, body string) httpResult {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return send(tb, req)
}

func send(tb testing.TB, req *http.Request) httpResult {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return httpResult{resp.StatusCode, resp.Header, string(b)}
}

func TestHTTPAPI(t *testing.T) {
	base := startAPI(t, memstore.New())
	res := post(t, base+"/orders", "", `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`)
	if res.status != 200 || res.header.Get("Ce-Type") != orders.ReplyType {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var o orders.Order
	if err := json.Unmarshal([]byte(res.body), &o); err != nil || o.ID == "" || o.Units != 2 {
		t.Fatalf("created %s (%v)", res.body, err)
	}
	got, _ := http.NewRequest(http.MethodGet, base+"/orders/"+o.ID, nil)
	res = send(t, got)
	var o2 orders.Order
	if res.status != 200 || json.Unmarshal([]byte(res.body), &o2) != nil || o2.ID != o.ID || o2.Units != 2 {
		t.Fatalf("get: %d %s", res.status, res.body)
	}
	missing, _ := http.NewRequest(http.MethodGet, base+"/orders/does-not-exist", nil)
	if res = send(t, missing); res.status != 404 || !strings.Contains(res.body, "does-not-exist") {
		t.Fatalf("get missing: %d %s", res.status, res.body)
	}
	if res = post(t, base+"/orders", "", `{"customer":"nope","items":[]}`); res.status != 400 || !strings.Contains(res.body, `"field":"customer"`) {
		t.Fatalf("invalid create: %d %s", res.status, res.body)
	}
	if res = post(t, base+"/orders", "", strings.Repeat("x", 70<<10)); res.status != 413 {
		t.Fatalf("oversized create: %d", res.status)
	}
}
