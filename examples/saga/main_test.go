package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/examples/saga/ordersaga"
	"github.com/fnkit/fnkit/handler/handlertest"
)

var quiet = slog.New(slog.DiscardHandler)

// placed is the order.placed event of o, as the shop sends it.
func placed(t testing.TB, o ordersaga.Order) event.Event {
	t.Helper()
	return handlertest.NewEvent(handlertest.WithID("place-"+o.ID), handlertest.WithSource("/shop"),
		handlertest.WithType(ordersaga.TypeOrderPlaced), handlertest.WithJSON(o))
}

// order is an order the shop can fill (tea, in stock, to France).
func order(id string) ordersaga.Order {
	return ordersaga.Order{ID: id, Customer: "ada@example.com", SKU: "tea", Qty: 3, Amount: 1250, Country: "FR"}
}

// checkCalls asserts how many times each port operation ran for id.
func checkCalls(t *testing.T, shop *ordersaga.Shop, id string, want map[string]int) {
	t.Helper()
	for _, op := range []string{"reserve", "charge", "ship", "refund", "release"} {
		if got := shop.Calls(op, id); got != want[op] {
			t.Errorf("%s ran %d times for %s, want %d", op, got, id, want[op])
		}
	}
}

// TestMain lets the test binary run the real main when FNKIT_EXAMPLE_MAIN
// is set, so TestMainRunsLocally can start it as a process.
func TestMain(m *testing.M) {
	if os.Getenv("FNKIT_EXAMPLE_MAIN") != "" {
		if err := run(context.Background(), os.Getenv, slog.New(slog.NewJSONHandler(os.Stderr, nil))); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestMainRunsLocally starts the real main as a process on the local
// runtime (embedded bbolt store, in-process bus), posts an order as plain
// JSON, and waits for the saga to reach order.shipped in the log.
func TestMainRunsLocally(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FNKIT_EXAMPLE_MAIN=1", "HOST=127.0.0.1", "PORT="+port, "FNKIT_DRAIN_DELAY=0",
		"SAGA_BOLT_PATH="+t.TempDir()+"/saga.db", "K_SINK=", "SAGA_EVENT_BUS=", "FNKIT_PLATFORM=local")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	}()
	url := "http://127.0.0.1:" + port
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("main did not listen: %s", stderr.String())
		}
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/orders",
		strings.NewReader(`{"id":"m1","customer":"ada@example.com","sku":"tea","qty":1,"amount":500,"country":"FR"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "place-m1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d: %s", resp.StatusCode, stderr.String())
	}
	for start := time.Now(); !strings.Contains(stderr.String(), `"event_type":"`+ordersaga.TypeOrderShipped+`"`); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("the saga did not reach %s: %s", ordersaga.TypeOrderShipped, stderr.String())
		}
	}
	for _, typ := range []string{ordersaga.TypeOrderPlaced, ordersaga.TypeStockReserved, ordersaga.TypePaymentCharged} {
		if !strings.Contains(stderr.String(), `"event_type":"`+typ+`"`) {
			t.Fatalf("no %s in the log: %s", typ, stderr.String())
		}
	}
}

// TestRunRefusesAnInProcessBusOnLambda: on Lambda or Cloud Functions,
// without a bus to publish to, main fails at once with what to set.
func TestRunRefusesAnInProcessBusOnLambda(t *testing.T) {
	for _, env := range []map[string]string{
		{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "SAGA_STORE": "memory"},
		{"FUNCTION_TARGET": "Saga", "SAGA_STORE": "memory"},
	} {
		t.Setenv("K_SINK", "")
		err := run(context.Background(), func(k string) string { return env[k] }, quiet)
		if err == nil || !strings.Contains(err.Error(), "set SAGA_EVENT_BUS, SAGA_PUBSUB_TOPIC or K_SINK") {
			t.Fatalf("%v: %v", env, err)
		}
	}
	err := run(context.Background(), func(k string) string { return map[string]string{"SAGA_STORE": "mongo"}[k] }, quiet)
	if err == nil || !strings.Contains(err.Error(), `unknown SAGA_STORE "mongo"`) {
		t.Fatalf("unknown store: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
