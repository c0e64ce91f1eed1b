package cloudfunctions_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/protocol"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/fnkit/fnkit/adapters/cloudfunctions"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
	"github.com/fnkit/fnkit/handler"
)

// The tests run the adapter on the Functions Framework's own server in a
// child process (the framework's registry and server are process-wide and
// cannot be stopped): the test binary re-runs itself with FNKIT_CF_CHILD
// set, serves a recording handler on 127.0.0.1, and writes every event
// its handler receives to FNKIT_CF_OUT.

func TestMain(m *testing.M) {
	if mode := os.Getenv("FNKIT_CF_CHILD"); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

// record is one invocation as the child's handler saw it.
type record struct {
	Event     json.RawMessage `json:"event"`
	Platform  string          `json:"platform"`
	ColdStart bool            `json:"coldstart"`
}

func child(mode string) int {
	out, err := os.OpenFile(os.Getenv("FNKIT_CF_OUT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var mu sync.Mutex
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		b, _ := json.Marshal(e)
		line, _ := json.Marshal(record{Event: b, Platform: inv.Platform, ColdStart: inv.ColdStart})
		mu.Lock()
		_, _ = out.Write(append(line, '\n'))
		mu.Unlock()
		switch e.Type() {
		case "test.fail.permanent":
			return nil, handler.Permanent(errors.New("order is cancelled"))
		case "test.fail.invalid":
			return nil, handler.InvalidInputf("field x is required")
		case "test.fail.retry":
			return nil, errors.New("database unreachable")
		case "test.fail.throttle":
			return nil, handler.Throttled(errors.New("slow down"), time.Second)
		case "test.panic":
			panic("boom")
		case "test.slow":
			time.Sleep(400 * time.Millisecond)
		}
		return nil, nil
	})
	var opts []cloudfunctions.Option
	if dlq := os.Getenv("FNKIT_CF_DLQ"); dlq != "" {
		p, err := events.NewHTTPPublisher(dlq)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		opts = append(opts, cloudfunctions.WithDeadLetter(p))
	}
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(400 * time.Millisecond)
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg := cloudfunctions.ConfigFromEnv()
	cfg.GracePeriod = 5 * time.Second
	err = cloudfunctions.Start(ctx, cfg,
		cloudfunctions.CloudEvent("OnEvent", h, opts...),
		cloudfunctions.HTTP("Web", web))
	if err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		return 1
	}
	fmt.Println("drained")
	return 0
}

// server is a child process serving one function.
type server struct {
	url    string
	out    string
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan error
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func startChild(t *testing.T, mode string, env ...string) *server {
	t.Helper()
	port := freePort(t)
	s := &server{url: "http://127.0.0.1:" + port, out: filepath.Join(t.TempDir(), "events.jsonl"), done: make(chan error, 1)}
	s.cmd = exec.Command(os.Args[0], "-test.run=^$")
	s.cmd.Env = append(os.Environ(), "FNKIT_CF_CHILD="+mode, "FNKIT_CF_OUT="+s.out, "PORT="+port, "LOCAL_ONLY=true")
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case err := <-s.done:
			t.Fatalf("child exited: %v\n%s", err, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("child did not listen on %s: %s", port, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// received returns the invocations recorded so far.
func (s *server) received(t *testing.T) []record {
	t.Helper()
	f, err := os.Open(s.out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record %q: %v", sc.Bytes(), err)
		}
		out = append(out, r)
	}
	return out
}

// last returns the event of the last invocation.
func (s *server) last(t *testing.T) event.Event {
	t.Helper()
	rs := s.received(t)
	if len(rs) == 0 {
		t.Fatal("the handler received nothing")
	}
	var e event.Event
	if err := json.Unmarshal(rs[len(rs)-1].Event, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func post(t *testing.T, url string, header map[string]string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
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

func binaryHeaders(id, typ string) map[string]string {
	return map[string]string{
		"Ce-Specversion": "1.0", "Ce-Id": id, "Ce-Source": "//storage.googleapis.com/projects/_/buckets/b",
		"Ce-Type": typ, "Content-Type": "application/json",
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		t.Fatalf("not JSON: %s / %s", a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// wantAttributes compares the attributes of two events one by one.
func wantAttributes(t *testing.T, got, want event.Event) {
	t.Helper()
	pairs := [][3]string{
		{"id", got.ID(), want.ID()},
		{"source", got.Source(), want.Source()},
		{"type", got.Type(), want.Type()},
		{"specversion", got.SpecVersion(), want.SpecVersion()},
		{"subject", got.Subject(), want.Subject()},
		{"datacontenttype", got.DataContentType(), want.DataContentType()},
		{"dataschema", got.DataSchema(), want.DataSchema()},
		{"time", got.Time().UTC().Format(time.RFC3339Nano), want.Time().UTC().Format(time.RFC3339Nano)},
	}
	for _, p := range pairs {
		if p[1] != p[2] {
			t.Errorf("%s = %q, want %q", p[0], p[1], p[2])
		}
	}
}

func TestCloudEventFunctionOnTheFramework(t *testing.T) {
	sink := newDLQ(t)
	s := startChild(t, "event", "FUNCTION_TARGET=OnEvent", "FUNCTION_SIGNATURE_TYPE=cloudevent", "FNKIT_CF_DLQ="+sink.srv.URL)

	t.Run("binary", func(t *testing.T) {
		h := binaryHeaders("bin-1", "test.ok")
		h["Ce-Subject"] = "objects/a b.txt"
		h["Ce-Time"] = "2026-01-02T03:04:05.678Z"
		h["Ce-Dataschema"] = "https://example.com/s.json"
		h["Ce-Tenant"] = "acme"
		if code, body := post(t, s.url, h, []byte(`{"a":1}`)); code != 200 {
			t.Fatalf("status %d %s", code, body)
		}
		want := event.New()
		want.SetID("bin-1")
		want.SetSource("//storage.googleapis.com/projects/_/buckets/b")
		want.SetType("test.ok")
		want.SetSubject("objects/a b.txt")
		want.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 678000000, time.UTC))
		want.SetDataSchema("https://example.com/s.json")
		want.SetExtension("tenant", "acme")
		_ = want.SetData("application/json", []byte(`{"a":1}`))
		got := s.last(t)
		wantAttributes(t, got, want)
		if !publishertest.Equal(got, want) {
			t.Errorf("received %s\nwant %s", got, want)
		}
		rs := s.received(t)
		if r := rs[len(rs)-1]; r.Platform != handler.PlatformCloudFunctions || !r.ColdStart {
			t.Errorf("invocation %+v, want platform %s and a cold start", r, handler.PlatformCloudFunctions)
		}
	})

	t.Run("structured", func(t *testing.T) {
		body := `{"specversion":"1.0","id":"str-1","source":"/orders","type":"test.ok","subject":"42",
			"time":"2026-01-02T03:04:05Z","datacontenttype":"application/json","data":{"order":42},"priority":"7"}`
		if code, resp := post(t, s.url, map[string]string{"Content-Type": "application/cloudevents+json"}, []byte(body)); code != 200 {
			t.Fatalf("status %d %s", code, resp)
		}
		got := s.last(t)
		var want event.Event
		_ = json.Unmarshal([]byte(body), &want)
		wantAttributes(t, got, want)
		if got.Extensions()["priority"] != "7" || !jsonEqual(t, got.Data(), []byte(`{"order":42}`)) {
			t.Errorf("received %s", got)
		}
		rs := s.received(t)
		if rs[len(rs)-1].ColdStart {
			t.Error("second invocation reported a cold start")
		}
	})

	// Legacy background events: the framework's conversion and
	// events.FromBackground must agree attribute by attribute.
	legacy, _ := filepath.Glob(filepath.Join("..", "..", "events", "testdata", "gcp", "legacy_*.json"))
	if len(legacy) < 8 {
		t.Fatalf("found %d legacy samples", len(legacy))
	}
	for _, file := range legacy {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if code, resp := post(t, s.url, map[string]string{"Content-Type": "application/json"}, body); code != 200 {
				t.Fatalf("status %d %s", code, resp)
			}
			want, err := events.FromBackground(body)
			if err != nil {
				t.Fatal(err)
			}
			got := s.last(t)
			wantAttributes(t, got, want)
			if !jsonEqual(t, got.Data(), want.Data()) {
				t.Errorf("data = %s\nwant %s", got.Data(), want.Data())
			}
		})
	}

	t.Run("pubsub push", func(t *testing.T) {
		body, err := os.ReadFile(filepath.Join("..", "..", "events", "testdata", "gcp", "pubsub_push.json"))
		if err != nil {
			t.Fatal(err)
		}
		if code, resp := post(t, s.url+"/projects/my-project/topics/uploads", map[string]string{"Content-Type": "application/json"}, body); code != 200 {
			t.Fatalf("status %d %s", code, resp)
		}
		want, _, err := events.FromPubSubPush(body, "projects/my-project/topics/uploads")
		if err != nil {
			t.Fatal(err)
		}
		got := s.last(t)
		wantAttributes(t, got, want)
		var gd, wd events.PubSubMessagePublishedData
		if err := json.Unmarshal(got.Data(), &gd); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(want.Data(), &wd)
		if !bytes.Equal(gd.Message.Data, wd.Message.Data) || !reflect.DeepEqual(gd.Message.Attributes, wd.Message.Attributes) ||
			gd.Message.MessageID != wd.Message.MessageID || !gd.Message.PublishTime.Equal(wd.Message.PublishTime) {
			t.Errorf("message %+v, want %+v", gd.Message, wd.Message)
		}
	})

	t.Run("error classes", func(t *testing.T) {
		cases := []struct {
			typ  string
			code int
			dead bool
		}{
			{"test.fail.permanent", 200, true},
			{"test.fail.invalid", 200, true},
			{"test.fail.retry", 500, false},
			{"test.fail.throttle", 429, false},
			{"test.panic", 500, false},
		}
		for _, c := range cases {
			before := len(sink.received())
			code, body := post(t, s.url, binaryHeaders("err-"+c.typ, c.typ), []byte(`{}`))
			if code != c.code {
				t.Errorf("%s: status %d (%s), want %d", c.typ, code, body, c.code)
			}
			got := sink.received()
			if dead := len(got) > before; dead != c.dead {
				t.Errorf("%s: dead-lettered %v, want %v", c.typ, dead, c.dead)
			} else if dead {
				d := got[len(got)-1]
				if d.ID() != "err-"+c.typ || d.Extensions()[events.ExtPlatform] != handler.PlatformCloudFunctions || d.Extensions()[events.ExtErrorClass] == nil {
					t.Errorf("%s: dead letter %s", c.typ, d)
				}
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for name, req := range map[string]struct {
			h    map[string]string
			body string
		}{
			"binary without type": {map[string]string{"Ce-Specversion": "1.0", "Ce-Id": "x", "Ce-Source": "/s", "Content-Type": "application/json"}, `{}`},
			"unknown legacy type": {map[string]string{"Content-Type": "application/json"}, `{"context":{"eventId":"1","eventType":"x.y","resource":"r"},"data":{}}`},
			"not an event":        {map[string]string{"Content-Type": "application/json"}, `{"hello":"world"}`},
		} {
			if code, body := post(t, s.url, req.h, []byte(req.body)); code < 400 || code > 499 {
				t.Errorf("%s: status %d (%s), want 4xx", name, code, body)
			}
		}
	})

	// The framework (the CloudEvents SDK under it) answers a structured
	// event it cannot decode with 500, not 400: documented, asserted so a
	// change is noticed.
	t.Run("truncated structured", func(t *testing.T) {
		code, _ := post(t, s.url, map[string]string{"Content-Type": "application/cloudevents+json"}, []byte(`{"specversion":"1.0","id":`))
		if code != 500 {
			t.Errorf("status %d, want the framework's 500", code)
		}
		if n := len(s.received(t)); n == 0 {
			t.Fatal("no invocations recorded at all")
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		const n = 4
		start := time.Now()
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _ = post(t, s.url, binaryHeaders(fmt.Sprintf("slow-%d", i), "test.slow"), []byte(`{}`))
			}()
		}
		wg.Wait()
		if d := time.Since(start); d > 1200*time.Millisecond {
			t.Errorf("%d invocations of 400ms took %v: not served concurrently", n, d)
		}
		for i, c := range codes {
			if c != 200 {
				t.Errorf("invocation %d: status %d", i, c)
			}
		}
	})
}

func TestHTTPFunctionOnTheFramework(t *testing.T) {
	s := startChild(t, "http", "FUNCTION_TARGET=Web", "FUNCTION_SIGNATURE_TYPE=http")
	code, body := post(t, s.url+"/orders/42?x=1", nil, []byte("hi"))
	if code != 200 || body != "POST /orders/42 hi" {
		t.Fatalf("HTTP function answered %d %q", code, body)
	}
}

func TestDrainOnSIGTERM(t *testing.T) {
	s := startChild(t, "event", "FUNCTION_TARGET=OnEvent")
	result := make(chan int, 1)
	go func() {
		code, _ := post(t, s.url, binaryHeaders("drain-1", "test.slow"), []byte(`{}`))
		result <- code
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.received(t)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow invocation never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := <-result; code != 200 {
		t.Fatalf("in-flight invocation answered %d after SIGTERM, want 200", code)
	}
	select {
	case err := <-s.done:
		s.done <- err // for Cleanup
		if err != nil || !strings.Contains(s.stdout.String(), "drained") {
			t.Fatalf("child exited with %v; stdout %q; stderr %s", err, s.stdout.String(), s.stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("child did not exit after draining")
	}
}

func TestStartConfigErrors(t *testing.T) {
	h := handler.Func(func(context.Context, event.Event) (*event.Event, error) { return nil, nil })
	ev := cloudfunctions.CloudEvent("A", h)
	web := cloudfunctions.HTTP("B", http.NotFoundHandler())
	cases := []struct {
		name string
		cfg  cloudfunctions.Config
		fns  []cloudfunctions.Function
		want string
	}{
		{"none", cloudfunctions.Config{}, nil, "given none"},
		{"unknown target", cloudfunctions.Config{Target: "C"}, []cloudfunctions.Function{ev, web}, `FUNCTION_TARGET "C" names none of ["A" "B"]`},
		{"ambiguous", cloudfunctions.Config{}, []cloudfunctions.Function{ev, web}, "FUNCTION_TARGET does not choose"},
		{"http signature on event function", cloudfunctions.Config{Target: "A", SignatureType: "http"}, []cloudfunctions.Function{ev, web}, "is a CloudEvent function"},
		{"cloudevent signature on http function", cloudfunctions.Config{Target: "B", SignatureType: "cloudevent"}, []cloudfunctions.Function{ev, web}, "is an HTTP function"},
		{"unknown signature", cloudfunctions.Config{SignatureType: "grpc"}, []cloudfunctions.Function{ev}, `unknown FUNCTION_SIGNATURE_TYPE "grpc"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := cloudfunctions.Start(context.Background(), c.cfg, c.fns...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Start: %v, want an error saying %q", err, c.want)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("FUNCTION_TARGET", "OnUpload")
	t.Setenv("FUNCTION_SIGNATURE_TYPE", "cloudevent")
	t.Setenv("PORT", "9999")
	t.Setenv("LOCAL_ONLY", "true")
	want := cloudfunctions.Config{Target: "OnUpload", SignatureType: "cloudevent", Port: "9999", Host: "127.0.0.1"}
	if got := cloudfunctions.ConfigFromEnv(); got != want {
		t.Fatalf("ConfigFromEnv = %+v, want %+v", got, want)
	}
	t.Setenv("LOCAL_ONLY", "")
	if got := cloudfunctions.ConfigFromEnv(); got.Host != "" {
		t.Fatalf("Host = %q without LOCAL_ONLY", got.Host)
	}
}

// TestCloudEventFuncInProcess checks the error table without a server.
func TestCloudEventFuncInProcess(t *testing.T) {
	replies := events.NewMemory()
	dlq := events.NewMemory()
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		switch e.Type() {
		case "reply":
			r := e.Clone()
			r.SetType("reply.done")
			return &r, nil
		case "perm":
			return nil, handler.Permanent(errors.New("no"))
		}
		return nil, errors.New("later")
	})
	fn := cloudfunctions.CloudEventFunc(h, cloudfunctions.WithReplies(replies), cloudfunctions.WithDeadLetter(dlq),
		cloudfunctions.WithLogger(slog.New(slog.DiscardHandler)))
	e := cloudevents.NewEvent()
	e.SetID("1")
	e.SetSource("/s")
	status := func(err error) int {
		if err == nil {
			return 200
		}
		var r *cehttp.Result
		if !protocol.ResultAs(err, &r) {
			t.Fatalf("result %v is not an HTTP result", err)
		}
		return r.StatusCode
	}
	e.SetType("reply")
	if got := status(fn(context.Background(), e)); got != 200 || replies.Len() != 1 || replies.Events()[0].Type() != "reply.done" {
		t.Fatalf("reply: status %d, %d replies published", got, replies.Len())
	}
	e.SetType("perm")
	if got := status(fn(context.Background(), e)); got != 200 || dlq.Len() != 1 {
		t.Fatalf("permanent: status %d, %d dead letters", got, dlq.Len())
	}
	dlq.FailWith(func(event.Event) error { return errors.New("dlq down") })
	if got := status(fn(context.Background(), e)); got != 500 {
		t.Fatalf("permanent with the dead-letter publisher down: status %d, want 500", got)
	}
	e.SetType("other")
	if got := status(fn(context.Background(), e)); got != 500 {
		t.Fatalf("retryable: status %d", got)
	}
	replies.FailWith(func(event.Event) error { return errors.New("sink down") })
	e.SetType("reply")
	if got := status(fn(context.Background(), e)); got != 500 {
		t.Fatalf("reply publish failure: status %d, want 500", got)
	}
}

// dlq is a dead-letter receiver on 127.0.0.1.
type dlq struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []event.Event
}

func newDLQ(t *testing.T) *dlq {
	d := &dlq{}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := event.New()
		e.SetID(r.Header.Get("Ce-Id"))
		e.SetSource(r.Header.Get("Ce-Source"))
		e.SetType(r.Header.Get("Ce-Type"))
		for k, v := range r.Header {
			if strings.HasPrefix(k, "Ce-Fnkit") {
				e.SetExtension(strings.ToLower(k[3:]), v[0])
			}
		}
		d.mu.Lock()
		d.got = append(d.got, e)
		d.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *dlq) received() []event.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]event.Event(nil), d.got...)
}
