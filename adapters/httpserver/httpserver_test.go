package httpserver

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// serve runs h behind Serve on a real loopback socket and returns its base
// URL. The server stops when the test ends.
func serve(tb testing.TB, h http.Handler, opts ...ServerOption) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts = append([]ServerOption{WithServerLogger(slog.New(slog.DiscardHandler)), WithDrainDelay(0)}, opts...)
	go func() { done <- Serve(ctx, ln, h, opts...) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// recorder is a handler that records what reached it.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	invs   []handler.Invocation
	reply  func(e event.Event) (*event.Event, error)
}

func (r *recorder) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	inv, _ := handler.InvocationFrom(ctx)
	r.mu.Lock()
	r.events = append(r.events, e)
	r.invs = append(r.invs, inv)
	r.mu.Unlock()
	if r.reply == nil {
		return nil, nil
	}
	return r.reply(e)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *recorder) last(tb testing.TB) event.Event {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		tb.Fatal("no event reached the handler")
	}
	return r.events[len(r.events)-1]
}

type greetIn struct {
	Name string `json:"name" validate:"required,max=10"`
}

type greetOut struct {
	Greeting string `json:"greeting"`
}

func greeter() handler.Handler {
	return handler.Typed(func(ctx context.Context, in greetIn) (greetOut, error) {
		switch in.Name {
		case "permanent":
			return greetOut{}, handler.Permanent(errors.New("secret database detail"))
		case "throttled":
			return greetOut{}, handler.Throttled(errors.New("busy"), 2500*time.Millisecond)
		case "boom":
			return greetOut{}, errors.New("secret internal detail")
		case "slow":
			<-ctx.Done()
			return greetOut{}, ctx.Err()
		}
		return greetOut{Greeting: "Hello, " + in.Name + "!"}, nil
	}, handler.WithReplyType("com.example.greeted"))
}

type request struct {
	method  string
	path    string
	headers map[string]string
	body    string
}

func binary(body string, extra ...string) request {
	h := map[string]string{
		"Ce-Specversion": "1.0", "Ce-Id": "e-1", "Ce-Source": "/test", "Ce-Type": "com.example.greet",
		"Content-Type": "application/json",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(h, extra[i])
		} else {
			h[extra[i]] = extra[i+1]
		}
	}
	return request{headers: h, body: body}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) Problem(tb testing.TB) Problem {
	tb.Helper()
	if ct := r.header.Get("Content-Type"); ct != mediaProblem {
		tb.Fatalf("content type %q, want %s; body %s", ct, mediaProblem, r.body)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		tb.Fatalf("Problem body %s: %v", r.body, err)
	}
	if p.Status != r.status || p.Title != statusTitle(r.status) || p.Type != "about:blank" {
		tb.Fatalf("Problem %+v does not match status %d", p, r.status)
	}
	return p
}

func do(tb testing.TB, base string, req request) response {
	tb.Helper()
	method := req.method
	if method == "" {
		method = http.MethodPost
	}
	r, err := http.NewRequest(method, base+req.path, strings.NewReader(req.body))
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range req.headers {
		r.Header[k] = []string{v}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

func TestBinaryModeReply(t *testing.T) {
	base := serve(t, New(greeter()))
	resp := do(t, base, binary(`{"name":"Ada"}`))
	if resp.status != http.StatusOK || string(resp.body) != `{"greeting":"Hello, Ada!"}` {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	h := resp.header
	if h.Get("Ce-Specversion") != "1.0" || h.Get("Ce-Type") != "com.example.greeted" || h.Get("Ce-Source") != "/test" ||
		h.Get("Ce-Id") == "" || h.Get("Ce-Id") == "e-1" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("reply headers %v", h)
	}
}

func TestBinaryModeAttributesAndExtensions(t *testing.T) {
	rec := &recorder{reply: func(e event.Event) (*event.Event, error) {
		r := e.Clone()
		r.SetID("reply-1")
		r.SetExtension("traceparent", "00-abc-01")
		r.SetExtension("note", "100% \"sure\" é")
		r.SetSubject("a b")
		return &r, nil
	}}
	base := serve(t, New(rec))
	resp := do(t, base, binary("raw", "Content-Type", "text/plain",
		"Ce-Subject", "orders/42", "Ce-Time", "2026-11-24T10:00:00.5Z",
		"Ce-Dataschema", "https://example.com/schema", "Ce-Tenant", "acme", "Ce-Comment", "50%25%20off"))
	if resp.status != http.StatusOK {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	e := rec.last(t)
	if e.ID() != "e-1" || e.Source() != "/test" || e.Type() != "com.example.greet" || e.Subject() != "orders/42" ||
		!e.Time().Equal(time.Date(2026, 11, 24, 10, 0, 0, 5e8, time.UTC)) || e.DataSchema() != "https://example.com/schema" ||
		e.DataContentType() != "text/plain" || string(e.Data()) != "raw" {
		t.Fatalf("decoded event %s", e)
	}
	if e.Extensions()["tenant"] != "acme" || e.Extensions()["comment"] != "50% off" {
		t.Fatalf("extensions %v", e.Extensions())
	}
	if err := e.Validate(); err != nil {
		t.Fatalf("decoded event invalid: %v", err)
	}
	h := resp.header
	if h.Get("Ce-Note") != "100%25%20%22sure%22%20%C3%A9" || h.Get("Ce-Traceparent") != "00-abc-01" ||
		h.Get("Ce-Subject") != "a%20b" || h.Get("Ce-Tenant") != "acme" || h.Get("Ce-Time") != "2026-11-24T10:00:00.5Z" ||
		h.Get("Ce-Id") != "reply-1" || string(resp.body) != "raw" {
		t.Fatalf("reply headers %v body %q", h, resp.body)
	}
}

func TestStructuredModeReply(t *testing.T) {
	base := serve(t, New(greeter()))
	body := `{"specversion":"1.0","id":"s-1","source":"/test","type":"com.example.greet","datacontenttype":"application/json","data":{"name":"Bob"}}`
	resp := do(t, base, request{headers: map[string]string{"Content-Type": "application/cloudevents+json; charset=utf-8"}, body: body})
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != mediaStructured {
		t.Fatalf("status %d headers %v body %s", resp.status, resp.header, resp.body)
	}
	var reply event.Event
	if err := json.Unmarshal(resp.body, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Type() != "com.example.greeted" || string(reply.Data()) != `{"greeting":"Hello, Bob!"}` || reply.Validate() != nil {
		t.Fatalf("reply %s", reply)
	}
}

func TestPlainRequest(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec, WithPlainType("com.example.webhook")))
	resp := do(t, base, request{path: "/hooks/github", headers: map[string]string{"Content-Type": "application/json"}, body: `{"a":1}`})
	if resp.status != http.StatusNoContent || len(resp.body) != 0 {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	e := rec.last(t)
	if e.Source() != "/hooks/github" || e.Type() != "com.example.webhook" || e.ID() == "" || string(e.Data()) != `{"a":1}` ||
		e.DataContentType() != "application/json" {
		t.Fatalf("event %s", e)
	}
	first := e.ID()
	do(t, base, request{path: "/hooks/github", body: `{}`})
	if id := rec.last(t).ID(); id == first {
		t.Fatalf("generated ids repeat: %s", id)
	}
	do(t, base, request{headers: map[string]string{"Idempotency-Key": "order-7"}, body: `{}`})
	if e := rec.last(t); e.ID() != "order-7" || e.Source() != "/" {
		t.Fatalf("Idempotency-Key not used as id: %s", e)
	}
	resp = do(t, base, request{headers: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, body: `{}`})
	if resp.status != http.StatusBadRequest {
		t.Fatalf("oversized Idempotency-Key: status %d", resp.status)
	}

	// A typed handler reads a plain JSON POST, and a plain client reads the reply body.
	base = serve(t, New(greeter()))
	resp = do(t, base, request{headers: map[string]string{"Content-Type": "application/json"}, body: `{"name":"Cy"}`})
	if resp.status != http.StatusOK || string(resp.body) != `{"greeting":"Hello, Cy!"}` {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
}

func TestErrorClassStatuses(t *testing.T) {
	base := serve(t, New(greeter(), WithTimeout(50*time.Millisecond), WithLogger(slog.New(slog.DiscardHandler))))
	tests := []struct {
		name, body string
		status     int
		detail     string
	}{
		{"invalid", `{"name":""}`, 400, "name: is required"},
		{"permanent", `{"name":"permanent"}`, 422, ""},
		{"throttled", `{"name":"throttled"}`, 429, ""},
		{"retryable", `{"name":"boom"}`, 500, ""},
		{"deadline", `{"name":"slow"}`, 504, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, base, binary(tt.body))
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.status, tt.status, resp.body)
			}
			p := resp.Problem(t)
			if p.Detail != tt.detail {
				t.Fatalf("detail %q, want %q", p.Detail, tt.detail)
			}
			if bytes.Contains(resp.body, []byte("secret")) {
				t.Fatalf("internal error text leaked: %s", resp.body)
			}
			if tt.status == 429 && resp.header.Get("Retry-After") != "3" {
				t.Fatalf("Retry-After %q, want 3", resp.header.Get("Retry-After"))
			}
		})
	}
	resp := do(t, base, binary(`{"name":"waytoolongname"}`))
	if p := resp.Problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "name" || p.Errors[0].Rule != "max" {
		t.Fatalf("field errors %+v", p.Errors)
	}
}

func TestBadInputNeverReachesHandler(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec, WithMaxBodyBytes(128)))
	structured := func(body string) request {
		return request{headers: map[string]string{"Content-Type": mediaStructured}, body: body}
	}
	tests := []struct {
		name   string
		req    request
		status int
		detail string
	}{
		{"structured malformed JSON", structured(`{"specversion":"1.0",`), 400, "malformed JSON: unexpected end of data"},
		{"structured syntax error", structured(`{"specversion" "1.0"}`), 400, "malformed JSON at byte 16: invalid character"},
		{"structured not an object", structured(`[1]`), 400, "malformed CloudEvent"},
		{"structured empty body", structured(``), 400, "empty body"},
		{"structured missing id", structured(`{"specversion":"1.0","source":"/s","type":"t"}`), 400, "id:"},
		{"structured missing source", structured(`{"specversion":"1.0","id":"1","type":"t"}`), 400, "source:"},
		{"structured missing type", structured(`{"specversion":"1.0","id":"1","source":"/s"}`), 400, "type:"},
		{"structured missing specversion", structured(`{"id":"1","source":"/s","type":"t"}`), 400, "specversion"},
		{"structured unknown specversion", structured(`{"specversion":"2.0","id":"1","source":"/s","type":"t"}`), 400, "specversion"},
		{"structured data and data_base64", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"x","data_base64":"eHl6"}`), 400, "data or data_base64, not both"},
		{"structured fractional integer extension", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","ext":1.5}`), 400, "extension ext: 1.5 is not an integer"},
		{"structured control character", structured(`{"specversion":"1.0","id":"a\u0000b","source":"/s","type":"t"}`), 400, "attribute id: control character U+0000"},
		{"structured control in extension", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","ext":"a\nb"}`), 400, "extension ext: control character U+000A"},
		{"structured bad time", structured(`{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"yesterday"}`), 400, "malformed CloudEvent"},
		{"structured 0.3 missing id", structured(`{"specversion":"0.3","source":"/s","type":"t"}`), 400, "id:"},
		{"structured wrong type", structured(`{"specversion":"1.0","id":1,"source":"/s","type":"t"}`), 400, "malformed CloudEvent"},
		{"unsupported format", request{headers: map[string]string{"Content-Type": "application/cloudevents+xml"}, body: "<e/>"}, 415, "unsupported event format"},
		{"unsupported batch format", request{headers: map[string]string{"Content-Type": "application/cloudevents-batch+avro"}, body: "x"}, 415, "unsupported event format"},
		{"binary missing id", binary(`{}`, "Ce-Id", ""), 400, "missing required header ce-id"},
		{"binary missing source", binary(`{}`, "Ce-Source", ""), 400, "missing required header ce-source"},
		{"binary missing type", binary(`{}`, "Ce-Type", ""), 400, "missing required header ce-type"},
		{"binary missing specversion", binary(`{}`, "Ce-Specversion", ""), 400, "missing required header ce-specversion"},
		{"ce headers without the required ones", request{headers: map[string]string{"Ce-Subject": "s", "Ce-Myext": "x", "Content-Type": "application/json"}, body: `{}`},
			400, "missing required header ce-specversion, ce-id, ce-source, ce-type"},
		{"binary overlong UTF-8", binary(`{}`, "Ce-Subject", "%C0%A0"), 400, "header Ce-Subject: invalid UTF-8"},
		{"binary lone continuation byte", binary(`{}`, "Ce-Subject", "%80"), 400, "header Ce-Subject: invalid UTF-8"},
		{"binary surrogate", binary(`{}`, "Ce-Subject", "%ED%A0%80"), 400, "header Ce-Subject: invalid UTF-8"},
		{"binary raw invalid UTF-8", binary(`{}`, "Ce-Subject", "\xff"), 400, "header Ce-Subject: invalid UTF-8"},
		{"binary NUL", binary(`{}`, "Ce-Subject", "a%00b"), 400, "header Ce-Subject: control character U+0000"},
		{"binary newline", binary(`{}`, "Ce-Tenant", "a%0Ab"), 400, "header Ce-Tenant: control character U+000A"},
		{"binary C1 control", binary(`{}`, "Ce-Tenant", "%C2%85"), 400, "control character U+0085"},
		{"binary noncharacter", binary(`{}`, "Ce-Tenant", "%EF%BF%BE"), 400, "noncharacter U+FFFE"},
		{"binary unterminated quote", binary(`{}`, "Ce-Subject", `"hello`), 400, "unterminated double-quoted value"},
		{"binary quote inside quotes", binary(`{}`, "Ce-Subject", `"a"b"`), 400, "unescaped double quote"},
		{"binary leap second mid-day", binary(`{}`, "Ce-Time", "2016-12-31T12:00:60Z"), 400, "ce-time"},
		{"binary 0.3 unknown encoding", binary(`{}`, "Ce-Specversion", "0.3", "Ce-Datacontentencoding", "gzip"), 400, "only base64"},
		{"binary 0.3 body not base64", binary(`{}`, "Ce-Specversion", "0.3", "Ce-Datacontentencoding", "base64"), 400, "body is not"},
		{"binary unknown specversion", binary(`{}`, "Ce-Specversion", "9.9"), 400, `unsupported ce-specversion "9.9"`},
		{"binary blank id", binary(`{}`, "Ce-Id", " "), 400, "ce-id must not be empty"},
		{"binary bad source", binary(`{}`, "Ce-Source", "http://[::1"), 400, "ce-source"},
		{"binary bad time", binary(`{}`, "Ce-Time", "yesterday"), 400, "ce-time"},
		{"binary relative dataschema", binary(`{}`, "Ce-Dataschema", "schema.json"), 400, "ce-dataschema"},
		{"binary bad extension name", binary(`{}`, "Ce-My_ext", "x"), 400, "extension names"},
		{"binary bad percent-encoding", binary(`{}`, "Ce-Tenant", "100%"), 400, "percent-encoding"},
		{"binary invalid content type", binary(`{}`, "Content-Type", "json"), 400, "not a valid media type"},
		{"plain invalid content type", request{headers: map[string]string{"Content-Type": "text/plain; charset"}, body: "x"}, 400, "not a valid media type"},
		{"body over limit", binary(strings.Repeat("x", 129)), 413, "larger than the limit of 128 bytes"},
		{"wrong method", request{method: http.MethodGet}, 405, "POST"},
		{"batch malformed", request{headers: map[string]string{"Content-Type": mediaBatch}, body: `[{"id":`}, 400, "malformed JSON: unexpected end of data"},
		{"batch not an array", request{headers: map[string]string{"Content-Type": mediaBatch}, body: `{}`}, 400, "malformed batch"},
		{"batch empty body", request{headers: map[string]string{"Content-Type": mediaBatch}}, 400, "empty body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := rec.count()
			resp := do(t, base, tt.req)
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.status, tt.status, resp.body)
			}
			if p := resp.Problem(t); !strings.Contains(p.Detail, tt.detail) {
				t.Fatalf("detail %q does not contain %q", p.Detail, tt.detail)
			}
			if rec.count() != before {
				t.Fatal("the handler was called")
			}
		})
	}
	resp := do(t, base, request{method: http.MethodPut})
	if resp.header.Get("Allow") != "POST" {
		t.Fatalf("405 without Allow: %v", resp.header)
	}
}

func TestDuplicateHeaderRejected(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec))
	r, _ := http.NewRequest(http.MethodPost, base, strings.NewReader("{}"))
	r.Header.Set("Ce-Specversion", "1.0")
	r.Header.Add("Ce-Id", "a")
	r.Header.Add("Ce-Id", "b")
	r.Header.Set("Ce-Source", "/s")
	r.Header.Set("Ce-Type", "t")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !bytes.Contains(body, []byte("given 2 times")) || rec.count() != 0 {
		t.Fatalf("status %d body %s calls %d", resp.StatusCode, body, rec.count())
	}
}

func TestBodyLimitWithoutContentLength(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec, WithMaxBodyBytes(1024)))
	for _, size := range []int{1024, 1025, 1 << 20} {
		r, _ := http.NewRequest(http.MethodPost, base, io.MultiReader(strings.NewReader(strings.Repeat("a", size))))
		r.ContentLength = -1 // chunked: the limit must hold without a length
		r.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusNoContent
		if size > 1024 {
			want = http.StatusRequestEntityTooLarge
		}
		if resp.StatusCode != want {
			t.Fatalf("size %d: status %d, want %d", size, resp.StatusCode, want)
		}
	}
	if rec.count() != 1 || len(rec.last(t).Data()) != 1024 {
		t.Fatalf("handler calls %d", rec.count())
	}
}

func TestEmptyBody(t *testing.T) {
	base := serve(t, New(greeter()))
	resp := do(t, base, binary(""))
	if resp.status != 400 || !strings.Contains(resp.Problem(t).Detail, "event has no data") {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	rec := &recorder{}
	base = serve(t, New(rec))
	if resp := do(t, base, binary("", "Content-Type", "")); resp.status != 204 || rec.count() != 1 || rec.last(t).Data() != nil {
		t.Fatalf("an event without data is valid: status %d", resp.status)
	}
}

func TestUnsupportedDataContentType(t *testing.T) {
	base := serve(t, New(greeter()))
	resp := do(t, base, binary("<name>x</name>", "Content-Type", "application/xml"))
	if resp.status != 415 || !strings.Contains(resp.Problem(t).Detail, "application/xml") {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
}

func TestBatchMode(t *testing.T) {
	base := serve(t, New(greeter(), WithLogger(slog.New(slog.DiscardHandler))))
	ev := func(id, name string) string {
		return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"/b","type":"greet","datacontenttype":"application/json","data":{"name":%q}}`, id, name)
	}
	batch := func(events ...string) request {
		return request{headers: map[string]string{"Content-Type": mediaBatch}, body: "[" + strings.Join(events, ",") + "]"}
	}

	resp := do(t, base, batch(ev("1", "A"), ev("2", "B")))
	if resp.status != 200 || resp.header.Get("Content-Type") != mediaBatch {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	var replies []event.Event
	if err := json.Unmarshal(resp.body, &replies); err != nil || len(replies) != 2 ||
		string(replies[0].Data()) != `{"greeting":"Hello, A!"}` || string(replies[1].Data()) != `{"greeting":"Hello, B!"}` {
		t.Fatalf("replies %s (%v)", resp.body, err)
	}

	resp = do(t, base, batch())
	if resp.status != 200 || string(resp.body) != "[]" {
		t.Fatalf("empty batch: status %d body %s", resp.status, resp.body)
	}

	// One bad event among good ones: the good ones are handled and the
	// report says which one failed, and why.
	resp = do(t, base, batch(ev("1", "A"), `{"specversion":"1.0","id":"2","type":"t"}`, ev("3", ""), ev("4", "D")))
	if resp.status != 400 {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	p := resp.Problem(t)
	if p.Detail != "2 of 4 events failed; see results" || len(p.Results) != 4 {
		t.Fatalf("Problem %+v", p)
	}
	wantStatus := []int{200, 400, 400, 200}
	for i, r := range p.Results {
		if r.Index != i || r.Status != wantStatus[i] {
			t.Fatalf("result %d: %+v", i, r)
		}
	}
	if p.Results[1].ID != "2" || !strings.Contains(p.Results[1].Detail, "source") || p.Results[2].Errors[0].Field != "name" ||
		p.Results[0].Reply == nil || string(p.Results[3].Reply.Data()) != `{"greeting":"Hello, D!"}` {
		t.Fatalf("results %+v", p.Results)
	}

	// A retryable failure makes the whole answer retryable.
	resp = do(t, base, batch(ev("1", ""), ev("2", "boom"), ev("3", "throttled")))
	if resp.status != 500 || bytes.Contains(resp.body, []byte("secret")) {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
}

func TestColdStartAndInvocation(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec, WithTimeout(time.Minute)))
	do(t, base, binary("{}", "X-Request-Id", "req-9"))
	do(t, base, binary("{}"))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	first, second := rec.invs[0], rec.invs[1]
	if !first.ColdStart || second.ColdStart {
		t.Fatalf("cold start flags %v %v", first.ColdStart, second.ColdStart)
	}
	if first.Platform != handler.PlatformHTTP || first.RequestID != "req-9" || first.Deadline.IsZero() {
		t.Fatalf("invocation %+v", first)
	}
}

func TestInvalidReplyIs500(t *testing.T) {
	rec := &recorder{reply: func(e event.Event) (*event.Event, error) {
		r := event.New()
		r.SetType("no-id-or-source")
		return &r, nil
	}}
	var logs bytes.Buffer
	base := serve(t, New(rec, WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))))
	resp := do(t, base, binary("{}"))
	if resp.status != 500 || !strings.Contains(logs.String(), "invalid reply") {
		t.Fatalf("status %d logs %q", resp.status, logs.String())
	}
}

// TestZeroTimeoutIsNoBound: zero turns the bound off, as CONTRIBUTING.md
// says of every duration option.
func TestZeroTimeoutIsNoBound(t *testing.T) {
	rec := &recorder{reply: func(e event.Event) (*event.Event, error) { return nil, nil }}
	var deadline bool
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		_, deadline = ctx.Deadline()
		return rec.Handle(ctx, e)
	})
	base := serve(t, New(h, WithTimeout(0)))
	if resp := do(t, base, binary("{}")); resp.status != http.StatusNoContent || deadline {
		t.Fatalf("status %d, deadline set: %v", resp.status, deadline)
	}
}

func TestNewPanicsOnWiringMistakes(t *testing.T) {
	for name, f := range map[string]func(){
		"nil handler":      func() { New(nil) },
		"zero body limit":  func() { WithMaxBodyBytes(0) },
		"empty type":       func() { WithPlainType("") },
		"negative timeout": func() { WithTimeout(-1) },
		"negative drain":   func() { WithDrainDelay(-1) },
		"nil id gen":       func() { WithIDGenerator(nil) },
		"nil logger":       func() { WithLogger(nil) },
		"nil srv logger":   func() { WithServerLogger(nil) },
		"negative grace":   func() { WithGracePeriod(-1) },
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

// The adapter reuses the parse of a repeated source: a different source
// must never get the previous one's.
func TestSourcesDoNotLeakBetweenRequests(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec))
	for _, src := range []string{"/a", "/a", "https://example.com/b?x=1", "/a", "urn:c"} {
		if resp := do(t, base, binary("{}", "Ce-Source", src)); resp.status != 204 {
			t.Fatalf("source %q: status %d", src, resp.status)
		}
		if got := rec.last(t).Source(); got != src {
			t.Fatalf("source %q decoded as %q", src, got)
		}
	}
	if resp := do(t, base, binary("{}", "Ce-Source", "http://[::1")); resp.status != 400 {
		t.Fatalf("bad source after good ones: status %d", resp.status)
	}
}

func TestPanicIs500AndServerSurvives(t *testing.T) {
	n := 0
	h := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		n++
		if n == 1 {
			panic("secret panic value")
		}
		return nil, nil
	})
	var logs syncBuffer
	base := serve(t, New(h, WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))))
	resp := do(t, base, binary("{}"))
	if resp.status != 500 || bytes.Contains(resp.body, []byte("secret")) {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	if !strings.Contains(logs.String(), "secret panic value") {
		t.Fatalf("the panic was not logged: %s", logs.String())
	}
	if resp := do(t, base, binary("{}")); resp.status != 204 {
		t.Fatalf("after a panic: status %d", resp.status)
	}
}
