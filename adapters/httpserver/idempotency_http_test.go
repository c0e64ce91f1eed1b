package httpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/state/memstore"
)

// runs counts handler runs per event id; an event whose data is "fail"
// fails retryably.
type runs struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *runs) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	r.mu.Lock()
	r.n[e.ID()]++
	r.mu.Unlock()
	if string(e.Data()) == `"fail"` {
		return nil, errors.New("downstream unavailable")
	}
	return nil, nil
}

func (r *runs) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[id]
}

func post(t *testing.T, url string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestPlainPOSTWithoutKeyIsKeyless: over real HTTP, a plain POST without
// Idempotency-Key has no key (its id is made up): the idempotency
// middleware answers 400 naming the header, or passes it through when
// configured — and then keeps no record.
func TestPlainPOSTWithoutKeyIsKeyless(t *testing.T) {
	r := &runs{n: map[string]int{}}
	store := memstore.New()
	strict := httptest.NewServer(httpserver.New(idempotency.New(store).Wrap(r)))
	defer strict.Close()
	status, body := post(t, strict.URL, map[string]string{"Content-Type": "application/json"}, `{}`)
	if status != http.StatusBadRequest || !strings.Contains(body, "Idempotency-Key header") {
		t.Fatalf("without a key: %d %s", status, body)
	}
	if status, body := post(t, strict.URL, map[string]string{"Content-Type": "application/json", "Idempotency-Key": "k1"}, `{}`); status != http.StatusNoContent {
		t.Fatalf("with a key: %d %s", status, body)
	}

	passStore := memstore.New()
	pass := httptest.NewServer(httpserver.New(idempotency.New(passStore, idempotency.WithPassThroughWithoutKey()).Wrap(r)))
	defer pass.Close()
	for range 3 {
		if status, body := post(t, pass.URL, map[string]string{"Content-Type": "application/json"}, `{}`); status != http.StatusNoContent {
			t.Fatalf("pass-through: %d %s", status, body)
		}
	}
	if n := passStore.Len(); n != 0 {
		t.Fatalf("pass-through kept %d records for keyless requests", n)
	}
}

// TestRetriedPartlyFailedBatch: a sender that retries a whole batch after
// a partial failure delivers its successful events again; behind the
// idempotency middleware each runs once.
func TestRetriedPartlyFailedBatch(t *testing.T) {
	r := &runs{n: map[string]int{}}
	srv := httptest.NewServer(httpserver.New(idempotency.New(memstore.New()).Wrap(r), httpserver.WithLogger(slog.New(slog.DiscardHandler))))
	defer srv.Close()
	batch := `[` +
		`{"specversion":"1.0","id":"a","source":"/s","type":"t","data":"ok"},` +
		`{"specversion":"1.0","id":"b","source":"/s","type":"t","data":"fail"},` +
		`{"specversion":"1.0","id":"c","source":"/s","type":"t","data":"ok"}]`
	for try := range 3 {
		status, body := post(t, srv.URL, map[string]string{"Content-Type": "application/cloudevents-batch+json"}, batch)
		if status != http.StatusInternalServerError {
			t.Fatalf("try %d: status %d %s", try, status, body)
		}
		var p httpserver.Problem
		if err := json.Unmarshal([]byte(body), &p); err != nil || len(p.Results) != 3 ||
			p.Results[0].Status != 200 || p.Results[1].Status != 500 || p.Results[2].Status != 200 {
			t.Fatalf("try %d: results %+v (%v)", try, p.Results, err)
		}
	}
	if r.count("a") != 1 || r.count("c") != 1 || r.count("b") != 3 {
		t.Fatalf("runs a=%d b=%d c=%d, want 1, 3 (each retry), 1", r.count("a"), r.count("b"), r.count("c"))
	}
}
