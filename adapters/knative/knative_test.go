package knative_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/adapters/knative"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/handler"
)

func TestMain(m *testing.M) {
	if os.Getenv("FNKIT_KN_CHILD") != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

var quiet = slog.New(slog.DiscardHandler)

// echo replies to "test.reply" with an event naming the platform it ran
// on, fails by type, and sleeps for "test.slow".
var echo = handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
	switch e.Type() {
	case "test.reply":
		inv, _ := handler.InvocationFrom(ctx)
		r := event.New()
		r.SetID("reply-" + e.ID())
		r.SetSource("/knative-test")
		r.SetType("test.replied")
		_ = r.SetData("application/json", map[string]string{"platform": inv.Platform, "in": e.ID()})
		return &r, nil
	case "test.fail.invalid":
		return nil, handler.InvalidInputf("field x is required")
	case "test.fail.permanent":
		return nil, handler.Permanent(errors.New("order cancelled"))
	case "test.fail.throttle":
		return nil, handler.Throttled(errors.New("busy"), 2*time.Second)
	case "test.fail.retry":
		return nil, errors.New("db down")
	case "test.slow":
		time.Sleep(500 * time.Millisecond)
	}
	return nil, nil
})

func child() int {
	cfg, err := knative.ConfigFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg.Host = "127.0.0.1"
	err = knative.ListenAndServe(context.Background(), cfg, echo,
		knative.WithHTTPOptions(httpserver.WithLogger(quiet)),
		knative.WithServerOptions(httpserver.WithServerLogger(quiet)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	fmt.Println("drained")
	return 0
}

// serve runs knative.Serve on 127.0.0.1 until the test ends and returns
// its URL and a function that starts the drain.
func serve(t *testing.T, h http.Handler, opts ...httpserver.ServerOption) (string, context.CancelFunc) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts = append([]httpserver.ServerOption{httpserver.WithServerLogger(quiet), httpserver.WithDrainDelay(0)}, opts...)
	go func() { done <- knative.Serve(ctx, ln, h, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), cancel
}

func overrides(t *testing.T) events.Overrides {
	o, err := events.ParseOverrides(`{"extensions":{"cluster":"eu-1"}}`)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func newHandler(t *testing.T, opts ...knative.Option) http.Handler {
	opts = append([]knative.Option{knative.WithOverrides(overrides(t)), knative.WithHTTPOptions(httpserver.WithLogger(quiet))}, opts...)
	return knative.New(echo, opts...)
}

func do(t *testing.T, method, url string, h map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func binary(id, typ string) map[string]string {
	return map[string]string{"Ce-Specversion": "1.0", "Ce-Id": id, "Ce-Source": "/test", "Ce-Type": typ, "Content-Type": "application/json"}
}

func TestReplyBinary(t *testing.T) {
	url, _ := serve(t, newHandler(t))
	resp, body := do(t, http.MethodPost, url, binary("e1", "test.reply"), `{}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	h := resp.Header
	if h.Get("Ce-Type") != "test.replied" || h.Get("Ce-Id") != "reply-e1" || h.Get("Ce-Cluster") != "eu-1" || h.Get("Ce-Specversion") != "1.0" {
		t.Fatalf("reply headers %v", h)
	}
	if body != `{"in":"e1","platform":"knative"}` {
		t.Fatalf("reply data %s", body)
	}
}

func TestReplyStructuredAndBatch(t *testing.T) {
	url, _ := serve(t, newHandler(t))
	one := `{"specversion":"1.0","id":"s1","source":"/test","type":"test.reply"}`
	resp, body := do(t, http.MethodPost, url, map[string]string{"Content-Type": "application/cloudevents+json"}, one)
	var r event.Event
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &r) != nil || r.Extensions()["cluster"] != "eu-1" || r.ID() != "reply-s1" {
		t.Fatalf("structured reply %d %s", resp.StatusCode, body)
	}

	batch := `[` + one + `,{"specversion":"1.0","id":"s2","source":"/test","type":"test.reply"},{"specversion":"1.0","id":"s3","source":"/test","type":"test.noreply"}]`
	resp, body = do(t, http.MethodPost, url, map[string]string{"Content-Type": "application/cloudevents-batch+json"}, batch)
	var replies []event.Event
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &replies) != nil || len(replies) != 2 {
		t.Fatalf("batch %d %s", resp.StatusCode, body)
	}
	for _, r := range replies {
		if r.Extensions()["cluster"] != "eu-1" {
			t.Errorf("batch reply %s without the override", r.ID())
		}
	}

	// One bad event: it alone fails, with a status Knative does not retry.
	bad := `[` + one + `,{"specversion":"1.0","source":"/test","type":"test.reply"}]`
	resp, body = do(t, http.MethodPost, url, map[string]string{"Content-Type": "application/cloudevents-batch+json"}, bad)
	var p struct {
		Results []httpserver.BatchResult `json:"results"`
	}
	if resp.StatusCode != 400 || json.Unmarshal([]byte(body), &p) != nil || len(p.Results) != 2 || p.Results[0].Status != 200 || p.Results[1].Status != 400 {
		t.Fatalf("batch with a bad event: %d %s", resp.StatusCode, body)
	}
}

// knativeRetries is Knative's rule: it retries these statuses and 5xx.
func knativeRetries(code int) bool {
	return code == 404 || code == 408 || code == 409 || code == 429 || code >= 500
}

func TestStatusCodesFitKnativeRetries(t *testing.T) {
	url, _ := serve(t, newHandler(t))
	for typ, want := range map[string]int{
		"test.ok": 204, "test.fail.invalid": 400, "test.fail.permanent": 422, "test.fail.throttle": 429, "test.fail.retry": 500,
	} {
		resp, body := do(t, http.MethodPost, url, binary("x", typ), `{}`)
		if resp.StatusCode != want {
			t.Errorf("%s: status %d (%s), want %d", typ, resp.StatusCode, body, want)
		}
		retryable := strings.Contains(typ, "throttle") || strings.Contains(typ, "retry")
		if typ != "test.ok" && knativeRetries(resp.StatusCode) != retryable {
			t.Errorf("%s: Knative would retry %d: %v, want %v", typ, resp.StatusCode, knativeRetries(resp.StatusCode), retryable)
		}
	}
	// Bad CloudEvents are refused for good.
	resp, _ := do(t, http.MethodPost, url, map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "x", "Ce-Source": "/s"}, `{}`)
	if resp.StatusCode != 400 {
		t.Errorf("binary event without type: %d", resp.StatusCode)
	}
	// CloudEvents 0.3 is accepted (converted to 1.0 by httpserver).
	h := binary("old", "test.reply")
	h["Ce-Specversion"] = "0.3"
	resp, body := do(t, http.MethodPost, url, h, `{}`)
	if resp.StatusCode != 200 || resp.Header.Get("Ce-Specversion") != "1.0" {
		t.Errorf("0.3 event: %d %s", resp.StatusCode, body)
	}
}

func TestDeadLetter(t *testing.T) {
	dlq := events.NewMemory()
	url, _ := serve(t, newHandler(t, knative.WithDeadLetter(dlq)))
	resp, _ := do(t, http.MethodPost, url, binary("p1", "test.fail.permanent"), `{}`)
	if resp.StatusCode != 204 {
		t.Fatalf("dead-lettered event answered %d, want 204", resp.StatusCode)
	}
	d := dlq.AssertPublished(t, "test.fail.permanent")
	if d.ID() != "p1" || d.Extensions()[events.ExtPlatform] != handler.PlatformKnative {
		t.Fatalf("dead letter %s", d)
	}
	dlq.FailWith(func(event.Event) error { return errors.New("dlq down") })
	if resp, _ := do(t, http.MethodPost, url, binary("p2", "test.fail.permanent"), `{}`); resp.StatusCode != 500 {
		t.Fatalf("dead-letter publish failure answered %d, want 500 (Knative retries)", resp.StatusCode)
	}
}

func TestProbes(t *testing.T) {
	url, drain := serve(t, newHandler(t), httpserver.WithDrainDelay(400*time.Millisecond))
	for _, p := range []string{knative.ReadinessPath, knative.LivenessPath} {
		if resp, _ := do(t, http.MethodGet, url+p, nil, ""); resp.StatusCode != 200 {
			t.Fatalf("%s: %d while serving", p, resp.StatusCode)
		}
	}
	if resp, _ := do(t, http.MethodPost, url+knative.LivenessPath, nil, ""); resp.StatusCode != 405 {
		t.Fatalf("POST liveness: %d", resp.StatusCode)
	}
	drain()
	time.Sleep(50 * time.Millisecond)
	if resp, _ := do(t, http.MethodGet, url+knative.ReadinessPath, nil, ""); resp.StatusCode != 503 {
		t.Fatalf("readiness while draining: %d, want 503", resp.StatusCode)
	}
	if resp, _ := do(t, http.MethodGet, url+knative.LivenessPath, nil, ""); resp.StatusCode != 200 {
		t.Fatalf("liveness while draining: %d, want 200", resp.StatusCode)
	}
	// Events sent during the drain delay are still served.
	if resp, _ := do(t, http.MethodPost, url, binary("late", "test.ok"), `{}`); resp.StatusCode != 204 {
		t.Fatalf("event during the drain: %d", resp.StatusCode)
	}
}

// TestHTTPPublisherToKnative runs the publisher conformance suite with
// the Knative adapter as the real receiver.
func TestHTTPPublisherToKnative(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		var mu sync.Mutex
		var got []event.Event
		rec := handler.Func(func(_ context.Context, e event.Event) (*event.Event, error) {
			mu.Lock()
			got = append(got, e.Clone())
			mu.Unlock()
			return nil, nil
		})
		url, _ := serve(t, knative.New(rec, knative.WithHTTPOptions(httpserver.WithLogger(quiet))))
		p, err := events.NewHTTPPublisher(url, events.WithRetries(1, time.Millisecond, time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		return publishertest.Target{Publisher: p, Received: func() []event.Event {
			mu.Lock()
			defer mu.Unlock()
			return append([]event.Event(nil), got...)
		}}
	})
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("PORT", "9090")
	t.Setenv("K_CE_OVERRIDES", `{"extensions":{"a":"b"}}`)
	cfg, err := knative.ConfigFromEnv()
	if err != nil || cfg.Addr() != ":9090" || cfg.Overrides.Extensions["a"] != "b" {
		t.Fatalf("ConfigFromEnv = %+v, %v", cfg, err)
	}
	t.Setenv("K_CE_OVERRIDES", `{"extensions":{"A":"b"}}`)
	if _, err := knative.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "K_CE_OVERRIDES") {
		t.Fatalf("bad K_CE_OVERRIDES: %v", err)
	}
	t.Setenv("PORT", "")
	t.Setenv("K_CE_OVERRIDES", "")
	if cfg, _ := knative.ConfigFromEnv(); cfg.Addr() != ":8080" {
		t.Fatalf("default addr %q", cfg.Addr())
	}
}

// TestSIGTERMDrain runs the adapter as a real process, sends it SIGTERM
// with requests in flight and more arriving during the drain delay, and
// checks that none is lost and that the process exits cleanly.
func TestSIGTERMDrain(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FNKIT_KN_CHILD=1", "PORT="+port, "FNKIT_DRAIN_DELAY=400ms", "FNKIT_GRACE_PERIOD=5s",
		`K_CE_OVERRIDES={"extensions":{"cluster":"eu-1"}}`)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	url := "http://127.0.0.1:" + port
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("child did not listen: %s", stderr.String())
		}
	}
	if resp, body := do(t, http.MethodPost, url, binary("r", "test.reply"), `{}`); resp.StatusCode != 200 || resp.Header.Get("Ce-Cluster") != "eu-1" {
		t.Fatalf("reply before drain: %d %s %v", resp.StatusCode, body, resp.Header)
	}

	const inflight, late = 6, 3
	codes := make(chan int, inflight+late)
	send := func(id string) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
		for k, v := range binary(id, "test.slow") {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			codes <- -1
			return
		}
		resp.Body.Close()
		codes <- resp.StatusCode
	}
	for i := range inflight {
		go send(fmt.Sprint("inflight-", i))
	}
	time.Sleep(150 * time.Millisecond) // the requests are in the handler
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	for i := range late {
		go send(fmt.Sprint("late-", i))
	}
	for range inflight + late {
		if c := <-codes; c != 204 {
			t.Errorf("a request around SIGTERM answered %d, want 204 (lost: -1)", c)
		}
	}
	select {
	case err := <-done:
		if err != nil || !strings.Contains(stdout.String(), "drained") {
			t.Fatalf("child exited %v; stdout %q; stderr %s", err, stdout.String(), stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child did not exit after SIGTERM")
	}
}

func TestPubSubPush(t *testing.T) {
	body, err := os.ReadFile("../../events/testdata/gcp/pubsub_push.json")
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		e   event.Event
		inv handler.Invocation
	}
	got := make(chan seen, 4)
	rec := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		got <- seen{e.Clone(), inv}
		return nil, nil
	})
	url, _ := serve(t, knative.New(rec, knative.WithPubSubPush(), knative.WithHTTPOptions(httpserver.WithLogger(quiet))))
	resp, rb := do(t, http.MethodPost, url+"/push/projects/my-project/topics/uploads", map[string]string{"Content-Type": "application/json"}, string(body))
	if resp.StatusCode != 204 {
		t.Fatalf("push delivery answered %d %s", resp.StatusCode, rb)
	}
	s := <-got
	want, attempt, err := events.FromPubSubPush(body, "projects/my-project/topics/uploads")
	if err != nil {
		t.Fatal(err)
	}
	if !publishertest.Equal(s.e, want) {
		t.Errorf("handler got %s\nwant %s", s.e, want)
	}
	if s.inv.Attempt != attempt || attempt != 3 || s.inv.Platform != handler.PlatformKnative {
		t.Errorf("invocation %+v, want attempt 3 on knative", s.inv)
	}

	resp, rb = do(t, http.MethodPost, url, map[string]string{"Content-Type": "application/json"},
		`{"message":{"messageId":"1","data":"not base64!"},"subscription":"projects/p/subscriptions/s"}`)
	if resp.StatusCode != 400 || !strings.Contains(rb, "message.data is not valid base64") {
		t.Errorf("bad push: %d %s", resp.StatusCode, rb)
	}
	// Other JSON is a plain request, as without the option.
	resp, _ = do(t, http.MethodPost, url+"/orders", map[string]string{"Content-Type": "application/json"}, `{"order":1}`)
	if s := <-got; resp.StatusCode != 204 || s.e.Type() != httpserver.DefaultPlainType || string(s.e.Data()) != `{"order":1}` || s.inv.Attempt != 0 {
		t.Errorf("plain JSON: %d, event %s", resp.StatusCode, s.e)
	}
	// Binary CloudEvents pass untouched.
	resp, _ = do(t, http.MethodPost, url, binary("b1", "test.x"), string(body))
	if s := <-got; resp.StatusCode != 204 || s.e.Type() != "test.x" {
		t.Errorf("binary event with a push-shaped body: %d, %s", resp.StatusCode, s.e)
	}
}
