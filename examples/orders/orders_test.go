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
	"time"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

func fixedClock() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }

func sequentialIDs() func() string {
	n := 0
	return func() string { n++; return "ord-" + string(rune('0'+n)) }
}

func TestCreateAndGet(t *testing.T) {
	svc := NewService(memstore.New(), fixedClock, sequentialIDs())
	h := handler.Typed(svc.Create, handler.WithReplyType(ReplyType))
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithJSON(CreateOrder{
		Customer: "ada@example.com", Items: []Line{{SKU: "tea", Qty: 2}, {SKU: "cup", Qty: 1}},
	})))
	o := handlertest.ReplyAs[Order](t, res)
	if o.ID != "ord-1" || o.Units != 3 || !o.CreatedAt.Equal(fixedClock()) || res.Reply.Type() != ReplyType {
		t.Fatalf("created %+v", o)
	}
	got, err := svc.Get(context.Background(), "ord-1")
	if err != nil || got.Customer != "ada@example.com" || len(got.Items) != 2 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := svc.Get(context.Background(), "nope"); err != ErrNotFound {
		t.Fatalf("Get(nope) = %v", err)
	}
}

func TestCreateRejectsInvalidOrders(t *testing.T) {
	store := memstore.New()
	h := handler.Typed(NewService(store, fixedClock, sequentialIDs()).Create)
	for name, data := range map[string]string{
		"no customer": `{"items":[{"sku":"tea","qty":1}]}`,
		"bad email":   `{"customer":"ada","items":[{"sku":"tea","qty":1}]}`,
		"no items":    `{"customer":"ada@example.com","items":[]}`,
		"zero qty":    `{"customer":"ada@example.com","items":[{"sku":"tea","qty":0}]}`,
		"malformed":   `{"customer":`,
	} {
		t.Run(name, func(t *testing.T) {
			res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithData("application/json", []byte(data))))
			if res.Class() != handler.ClassInvalidInput {
				t.Fatalf("class %v err %v", res.Class(), res.Err)
			}
		})
	}
	if store.Len() != 0 {
		t.Fatalf("invalid orders were stored: %d", store.Len())
	}
}

func TestCreateReportsStoreFailureAsRetryable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewService(memstore.New(), fixedClock, sequentialIDs()).Create(ctx, CreateOrder{Customer: "a@b.c", Items: []Line{{SKU: "x", Qty: 1}}})
	if err == nil || handler.ClassOf(err) != handler.ClassRetryable {
		t.Fatalf("err %v", err)
	}
}

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
	if res.status != 200 || res.header.Get("Ce-Type") != ReplyType {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var o Order
	if err := json.Unmarshal([]byte(res.body), &o); err != nil || o.ID == "" || o.Units != 2 {
		t.Fatalf("created %s (%v)", res.body, err)
	}
	got, _ := http.NewRequest(http.MethodGet, base+"/orders/"+o.ID, nil)
	res = send(t, got)
	var o2 Order
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
