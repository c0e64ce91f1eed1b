package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/examples/saga/ordersaga"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/memstore"
)

// broker is a CloudEvents receiver on 127.0.0.1 that queues what it is
// sent, as a Knative Broker would, decoding with httpserver.
type broker struct {
	mu    sync.Mutex
	queue []event.Event
	got   []event.Event
}

func (b *broker) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue = append(b.queue, e.Clone())
	b.got = append(b.got, e.Clone())
	return nil, nil
}

func (b *broker) next() (event.Event, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return event.Event{}, false
	}
	e := b.queue[0]
	b.queue = b.queue[1:]
	return e, true
}

// TestEndToEndOverHTTP runs the saga behind httpserver on a real loopback
// socket, publishing to a broker on another socket; the test delivers what
// the broker holds back to the function over HTTP, every event twice (a
// redelivery), until nothing is left. One order ships; one whose shipping
// fails is compensated, each compensation exactly once.
func TestEndToEndOverHTTP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &broker{}
	brokerSrv := httptest.NewServer(httpserver.New(b))
	defer brokerSrv.Close()
	pub, err := events.NewHTTPPublisher(brokerSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	shop := ordersaga.NewShop(map[string]int{"tea": 10})
	shop.NoDelivery = []string{"AQ"}
	svc := ordersaga.NewService(store, pub, shop.Ports())
	h := newHandler(svc, quiet)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() {
		served <- httpserver.Serve(ctx, ln, httpserver.New(h, httpserver.WithPlainType(ordersaga.TypeOrderPlaced)),
			httpserver.WithDrainDelay(0), httpserver.WithServerLogger(quiet))
	}()
	fnURL := "http://" + ln.Addr().String()

	// Orders come in as plain JSON POSTs, retried by the client.
	for _, o := range []string{
		`{"id":"e1","customer":"ada@example.com","sku":"tea","qty":2,"amount":900,"country":"FR"}`,
		`{"id":"e2","customer":"bob@example.com","sku":"tea","qty":5,"amount":2500,"country":"AQ"}`,
	} {
		for range 2 {
			req, _ := http.NewRequest(http.MethodPost, fnURL+"/orders", strings.NewReader(o))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "place-"+o[7:9])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("POST order: status %d", resp.StatusCode)
			}
		}
	}
	// A broken order is refused with 400, and starts nothing.
	resp, err := http.Post(fnURL+"/orders", "application/json", strings.NewReader(`{"id":"e3","qty":0}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("invalid order: status %d", resp.StatusCode)
	}

	toFn, err := events.NewHTTPPublisher(fnURL)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for e, ok := b.next(); ok; e, ok = b.next() {
		if time.Now().After(deadline) {
			t.Fatal("the saga did not settle")
		}
		for range 2 {
			if err := toFn.Publish(ctx, e); err != nil {
				t.Fatalf("delivering %s: %v (class %v)", e.Type(), err, handler.ClassOf(err))
			}
		}
	}

	for id, want := range map[string]ordersaga.Status{"e1": ordersaga.StatusShipped, "e2": ordersaga.StatusCancelled} {
		sg, err := svc.Get(ctx, id)
		if err != nil || sg.Status != want {
			t.Fatalf("saga %s: %+v %v, want %s", id, sg, err, want)
		}
	}
	if _, err := svc.Get(ctx, "e3"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the invalid order started a saga (%v)", err)
	}
	checkCalls(t, shop, "e1", map[string]int{"reserve": 1, "charge": 1, "ship": 1})
	checkCalls(t, shop, "e2", map[string]int{"reserve": 1, "charge": 1, "ship": 1, "refund": 1, "release": 1})
	if shop.Stock("tea") != 8 || shop.Charged("e1") != 900 || shop.Charged("e2") != 0 {
		t.Fatalf("stock %d, charged %d and %d", shop.Stock("tea"), shop.Charged("e1"), shop.Charged("e2"))
	}
	b.mu.Lock()
	n := len(b.got)
	b.mu.Unlock()
	// e1: reserved, charged, shipped; e2: reserved, charged, shipping
	// failed, refunded, released, cancelled. The duplicates are answered
	// from the idempotency records and publish nothing.
	if n != 9 {
		t.Fatalf("broker got %d events, want 9", n)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
