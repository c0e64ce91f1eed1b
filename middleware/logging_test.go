package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func TestLoggingLine(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	h := Logging(WithLogger(lg))(handler.Func(ok))
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: handler.PlatformKnative, RequestID: "r-9", Attempt: 2, ColdStart: true})
	e := newEvent(handlertest.WithID("ev-1"), handlertest.WithType("com.example.t"), handlertest.WithSource("/src"), handlertest.WithSubject("sub"),
		handlertest.WithJSON(map[string]string{"card": "4111-1111"}))
	if _, err := h.Handle(ctx, e); err != nil {
		t.Fatal(err)
	}
	ls := lines(t, buf)
	if len(ls) != 1 {
		t.Fatalf("%d lines: %v", len(ls), ls)
	}
	l := ls[0]
	want := map[string]any{"msg": "invocation", "level": "INFO", "event_id": "ev-1", "event_type": "com.example.t", "event_source": "/src",
		"event_subject": "sub", "platform": "knative", "request_id": "r-9", "attempt": 2.0, "cold_start": true, "outcome": "success"}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v", k, l[k], v)
		}
	}
	if d, ok := l["duration"].(float64); !ok || d < 0 {
		t.Errorf("duration %v", l["duration"])
	}
	for _, k := range []string{"error", "error_class", "trace_id"} {
		if _, found := l[k]; found {
			t.Errorf("unexpected %s in %v", k, l)
		}
	}
	if strings.Contains(buf.String(), "4111") {
		t.Error("event data was logged")
	}
}

func TestLoggingFailures(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		level string
		class string
	}{
		{"retryable", errors.New("db down"), "ERROR", "retryable"},
		{"invalid", handler.InvalidInputf("bad name"), "WARN", "invalid_input"},
		{"permanent", handler.Permanent(errors.New("refused")), "WARN", "permanent"},
		{"throttled", handler.Throttled(errors.New("busy"), time.Second), "WARN", "throttled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lg, buf := jsonLogger(slog.LevelInfo)
			_, err := invoke(context.Background(), Logging(WithLogger(lg))(failWith(c.err)), newEvent())
			if err != c.err {
				t.Fatalf("error changed: %v", err)
			}
			l := lines(t, buf)[0]
			if l["level"] != c.level || l["error_class"] != c.class || l["outcome"] != "failure" || l["error"] != c.err.Error() {
				t.Fatalf("%v", l)
			}
		})
	}
}

func TestLoggingRecoversPanic(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	h := Logging(WithLogger(lg))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		panic(struct{ n int }{42}) // not an error value
	}))
	_, err := invoke(context.Background(), h, newEvent())
	var p *handler.PanicError
	if !errors.As(err, &p) || handler.ClassOf(err) != handler.ClassRetryable {
		t.Fatalf("err %v", err)
	}
	l := lines(t, buf)[0]
	if l["panic"] != true || l["level"] != "ERROR" || !strings.Contains(l["stack"].(string), "logging_test.go") {
		t.Fatalf("%v", l)
	}
	if !strings.Contains(l["error"].(string), "{42}") {
		t.Fatalf("error %v", l["error"])
	}
}

func TestLoggerInContext(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	h := Logging(WithLogger(lg))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		Logger(ctx).Info("working", "step", 1)
		first, second := Logger(ctx), Logger(ctx)
		if first != second {
			t.Error("Logger not cached")
		}
		Logger(ctx).Debug("hidden")
		return nil, nil
	}))
	_, _ = invoke(context.Background(), h, newEvent(handlertest.WithID("ev-7")))
	w := byMsg(lines(t, buf), "working")
	if len(w) != 1 || w[0]["event_id"] != "ev-7" || w[0]["step"] != 1.0 {
		t.Fatalf("%v", buf.String())
	}
	if strings.Contains(buf.String(), "hidden") {
		t.Fatal("debug line written at info without sampling")
	}
	if Logger(context.Background()) != slog.Default() {
		t.Fatal("Logger outside Logging is not slog.Default")
	}
}

func TestLoggingDebugSampling(t *testing.T) {
	const n, rate = 2000, 0.3
	lg, buf := jsonLogger(slog.LevelInfo)
	r := rand.New(rand.NewPCG(1, 2))
	h := Logging(WithLogger(lg), WithDebugSampling(rate), withRandom(r.Float64))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		Logger(ctx).Debug("detail")
		return nil, nil
	}))
	for range n {
		_, _ = invoke(context.Background(), h, newEvent())
	}
	got := len(byMsg(lines(t, buf), "detail"))
	sd := math.Sqrt(n * rate * (1 - rate))
	if math.Abs(float64(got)-n*rate) > 5*sd {
		t.Fatalf("%d of %d invocations sampled, want %v ± %.0f", got, n, n*rate, 5*sd)
	}
	// The real random source too, not only the seeded one.
	buf2 := &syncBuffer{}
	h = Logging(WithLogger(slog.New(slog.NewJSONHandler(buf2, nil))), WithDebugSampling(rate))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		Logger(ctx).Debug("detail")
		return nil, nil
	}))
	for range n {
		_, _ = invoke(context.Background(), h, newEvent())
	}
	if got := len(byMsg(lines(t, buf2), "detail")); math.Abs(float64(got)-n*rate) > 5*sd {
		t.Fatalf("default random: %d of %d sampled", got, n)
	}
}

func TestLoggingDebugBuffer(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	fail := errors.New("boom")
	h := Logging(WithLogger(lg), WithDebugBuffer(3))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		log := Logger(ctx).With("k", "v")
		for i := range 5 {
			log.Debug("step", "i", i)
		}
		log.Info("visible")
		if e.Subject() == "fail" {
			return nil, fail
		}
		return nil, nil
	}))
	_, _ = invoke(context.Background(), h, newEvent(handlertest.WithSubject("ok")))
	if s := byMsg(lines(t, buf), "step"); len(s) != 0 {
		t.Fatalf("buffered lines written on success: %v", s)
	}
	if len(byMsg(lines(t, buf), "visible")) != 1 {
		t.Fatal("info line not written at once")
	}
	_, _ = invoke(context.Background(), h, newEvent(handlertest.WithSubject("fail")))
	ls := lines(t, buf)
	steps := byMsg(ls, "step")
	if len(steps) != 3 {
		t.Fatalf("%d buffered lines written, want the last 3: %v", len(steps), steps)
	}
	for i, s := range steps {
		if s["i"] != float64(i+2) || s["k"] != "v" || s["level"] != "DEBUG" {
			t.Fatalf("line %d: %v", i, s)
		}
	}
	inv := byMsg(ls, "invocation")
	if last := inv[len(inv)-1]; last["buffer_dropped"] != 2.0 || last["outcome"] != "failure" {
		t.Fatalf("%v", last)
	}
	// The buffered lines come before the invocation line.
	all := buf.String()
	if strings.LastIndex(all, `"msg":"step"`) > strings.LastIndex(all, `"msg":"invocation"`) {
		t.Fatal("buffered lines after the invocation line")
	}
}

func TestLoggingRedaction(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelDebug)
	h := Logging(WithLogger(lg), WithRedactedKeys("Card_Number"))(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		hdr := http.Header{"Authorization": {"Bearer s3cr3t-bearer"}, "Accept": {"text/plain"}}
		Logger(ctx).With("password", "s3cr3t-pw").Info("req",
			"headers", hdr,
			slog.Group("payment", slog.String("card_number", "s3cr3t-card"), slog.String("currency", "EUR")),
			"map", map[string]string{"api_key": "s3cr3t-key", "x": "y"},
			"TOKEN", "s3cr3t-token")
		return nil, nil
	}))
	_, _ = invoke(context.Background(), h, newEvent())
	out := buf.String()
	if strings.Contains(out, "s3cr3t") {
		t.Fatalf("secret in log: %s", out)
	}
	l := byMsg(lines(t, buf), "req")[0]
	if l["password"] != Redacted || l["TOKEN"] != Redacted {
		t.Fatalf("%v", l)
	}
	if p := l["payment"].(map[string]any); p["card_number"] != Redacted || p["currency"] != "EUR" {
		t.Fatalf("group %v", p)
	}
	if hd := l["headers"].(map[string]any); fmt.Sprint(hd["Accept"]) != "[text/plain]" {
		t.Fatalf("headers %v", hd)
	}
}

func TestLoggingHostileValues(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	tlg := slog.New(slog.NewTextHandler(buf, nil))
	e := newEvent(handlertest.WithID("a\nb\r\x00c\x1b[31m"), handlertest.WithSubject(strings.Repeat("é", 5000)))
	for _, l := range []*slog.Logger{lg, tlg} {
		_, _ = invoke(context.Background(), Logging(WithLogger(l))(failWith(errors.New("line1\nline2"))), e)
	}
	out := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(out) != 2 {
		t.Fatalf("%d lines for 2 records: %q", len(out), out)
	}
	var js = &syncBuffer{}
	_, _ = js.Write([]byte(out[0]))
	l := lines(t, js)[0]
	if l["event_id"] != "a\nb\r\x00c\x1b[31m" {
		t.Fatalf("event id %q", l["event_id"])
	}
	if s := l["event_subject"].(string); len(s) > maxLogValue+4 || !strings.HasSuffix(s, "…") || strings.ContainsRune(s, '\uFFFD') {
		t.Fatalf("subject not clipped cleanly: %d bytes", len(s))
	}
}

func TestLoggingOptionsPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"rate above 1":    func() { WithDebugSampling(1.5) },
		"rate NaN":        func() { WithDebugSampling(math.NaN()) },
		"negative buffer": func() { WithDebugBuffer(-1) },
		"nil logger":      func() { WithLogger(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}
