package httpserver

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// echo replies with a copy of the event it got.
func echo() *recorder {
	return &recorder{reply: func(e event.Event) (*event.Event, error) {
		r := e.Clone()
		return &r, nil
	}}
}

// TestBinaryReplyWithoutContentType: a reply without datacontenttype goes
// out with no Content-Type (net/http would sniff text/html here), and every
// reply says nosniff (binding §3.1.1).
func TestBinaryReplyWithoutContentType(t *testing.T) {
	base := serve(t, New(echo()))
	resp := do(t, base, binary(`<html><body>x</body></html>`, "Content-Type", ""))
	if resp.status != http.StatusOK || string(resp.body) != `<html><body>x</body></html>` {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	if ct, ok := resp.header["Content-Type"]; ok {
		t.Fatalf("Content-Type %q on a reply without datacontenttype", ct)
	}
	if resp.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("binary reply without nosniff: %v", resp.header)
	}
	resp = do(t, base, request{headers: map[string]string{"Content-Type": mediaStructured},
		body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":1}}`})
	if resp.status != http.StatusOK || resp.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("structured reply: %d %v", resp.status, resp.header)
	}
	resp = do(t, base, request{headers: map[string]string{"Content-Type": mediaBatch},
		body: `[{"specversion":"1.0","id":"1","source":"/s","type":"t"}]`})
	if resp.status != http.StatusOK || resp.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("batch reply: %d %v", resp.status, resp.header)
	}
}

// TestBinaryHeaderDecoding covers what the binding asks of receivers:
// double-quoted values unquoted, then one round of percent-decoding;
// non-empty strings made of spaces are valid; RFC 3339 as RFC 3339 has it.
func TestBinaryHeaderDecoding(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec))
	tests := []struct {
		name, header, value string
		check               func(e event.Event) (got any, want any)
	}{
		{"quoted", "Ce-Subject", `"hello world"`, func(e event.Event) (any, any) { return e.Subject(), "hello world" }},
		{"quoted with escapes", "Ce-Subject", `"say \"hi\" \\ bye"`, func(e event.Event) (any, any) { return e.Subject(), `say "hi" \ bye` }},
		{"quoted then percent", "Ce-Subject", `"caf%C3%A9"`, func(e event.Event) (any, any) { return e.Subject(), "café" }},
		{"space id", "Ce-Id", "%20", func(e event.Event) (any, any) { return e.ID(), " " }},
		{"valid UTF-8", "Ce-Subject", "%E2%82%AC%F0%9F%98%80", func(e event.Event) (any, any) { return e.Subject(), "€😀" }},
		{"U+FFFD itself", "Ce-Subject", "%EF%BF%BD", func(e event.Event) (any, any) { return e.Subject(), "\uFFFD" }},
		{"lower-case t and z", "Ce-Time", "2026-11-24t10:00:00.5z", func(e event.Event) (any, any) {
			return e.Time(), time.Date(2026, 11, 24, 10, 0, 0, 5e8, time.UTC)
		}},
		{"leap second", "Ce-Time", "2016-12-31T23:59:60Z", func(e event.Event) (any, any) {
			return e.Time(), time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
		}},
		{"leap second with offset", "Ce-Time", "2016-12-31T15:59:60-08:00", func(e event.Event) (any, any) {
			return e.Time().UTC(), time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, base, binary(`{}`, tt.header, tt.value))
			if resp.status != http.StatusNoContent {
				t.Fatalf("status %d body %s", resp.status, resp.body)
			}
			got, want := tt.check(rec.last(t))
			if gt, ok := got.(time.Time); ok {
				if !gt.Equal(want.(time.Time)) {
					t.Fatalf("got %v, want %v", got, want)
				}
				return
			}
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

// TestStructuredLenientTime: structured mode accepts the RFC 3339 forms
// Go's layout rejects, like binary mode.
func TestStructuredLenientTime(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec))
	resp := do(t, base, request{headers: map[string]string{"Content-Type": mediaStructured},
		body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2016-12-31t23:59:60z","data":1}`})
	if resp.status != http.StatusNoContent {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	if e := rec.last(t); !e.Time().Equal(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)) || string(e.Data()) != "1" {
		t.Fatalf("time %v data %s", e.Time(), e.Data())
	}
}

// TestCloudEvents03: 0.3 events, still sent by older sources and brokers,
// are accepted in every mode and reach the handler as 1.0.
func TestCloudEvents03(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec))
	check := func(t *testing.T, e event.Event) {
		t.Helper()
		if e.SpecVersion() != event.CloudEventsVersionV1 || e.DataSchema() != "https://example.com/s.json" || string(e.Data()) != "xyz" {
			t.Fatalf("specversion %q dataschema %q data %q ext %v", e.SpecVersion(), e.DataSchema(), e.Data(), e.Extensions())
		}
		if _, ok := e.Extensions()["schemaurl"]; ok {
			t.Fatalf("schemaurl kept as an extension: %v", e.Extensions())
		}
	}
	t.Run("binary", func(t *testing.T) {
		resp := do(t, base, binary(base64.StdEncoding.EncodeToString([]byte("xyz")), "Ce-Specversion", "0.3",
			"Ce-Schemaurl", "https://example.com/s.json", "Ce-Datacontentencoding", "base64", "Content-Type", "text/plain"))
		if resp.status != http.StatusNoContent {
			t.Fatalf("status %d body %s", resp.status, resp.body)
		}
		check(t, rec.last(t))
	})
	body := `{"specversion":"0.3","id":"1","source":"/s","type":"t","schemaurl":"https://example.com/s.json","datacontenttype":"text/plain","datacontentencoding":"base64","data":"eHl6"}`
	t.Run("structured", func(t *testing.T) {
		resp := do(t, base, request{headers: map[string]string{"Content-Type": mediaStructured}, body: body})
		if resp.status != http.StatusNoContent {
			t.Fatalf("status %d body %s", resp.status, resp.body)
		}
		check(t, rec.last(t))
	})
	t.Run("batch", func(t *testing.T) {
		resp := do(t, base, request{headers: map[string]string{"Content-Type": mediaBatch}, body: "[" + body + "]"})
		if resp.status != http.StatusOK {
			t.Fatalf("status %d body %s", resp.status, resp.body)
		}
		check(t, rec.last(t))
	})
}

// TestProblemTitles: titles are RFC 9110's names, as the status table in
// the package documentation and the README says.
func TestProblemTitles(t *testing.T) {
	for status, want := range map[int]string{413: "Content Too Large", 422: "Unprocessable Content", 400: "Bad Request", 429: "Too Many Requests"} {
		if got := NewProblem(status, "").Title; got != want {
			t.Errorf("%d: title %q, want %q", status, got, want)
		}
	}
}

// TestSpaceIDInStructuredMode: as in binary mode, an id of spaces is a
// non-empty string, which the specification allows.
func TestSpaceIDInStructuredMode(t *testing.T) {
	rec := &recorder{}
	base := serve(t, New(rec))
	resp := do(t, base, request{headers: map[string]string{"Content-Type": mediaStructured},
		body: `{"specversion":"1.0","id":" ","source":"/s","type":" "}`})
	if resp.status != http.StatusNoContent || rec.last(t).ID() != " " {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
}

// TestOuterInvocationIsKept: an adapter in front (Lambda behind API
// Gateway) describes the invocation; the handler sees that description,
// marked synchronous.
func TestOuterInvocationIsKept(t *testing.T) {
	rec := &recorder{}
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := handler.WithInvocation(r.Context(), &handler.Invocation{Platform: handler.PlatformAWSLambda, RequestID: "lambda-req", Function: "arn:aws:lambda:eu-west-1:1:function:f"})
		New(rec).ServeHTTP(w, r.WithContext(ctx))
	})
	base := serve(t, outer)
	if resp := do(t, base, binary(`{}`)); resp.status != http.StatusNoContent {
		t.Fatalf("status %d", resp.status)
	}
	rec.mu.Lock()
	inv := rec.invs[len(rec.invs)-1]
	rec.mu.Unlock()
	if inv.Platform != handler.PlatformAWSLambda || inv.RequestID != "lambda-req" || inv.Function == "" || !inv.Sync {
		t.Fatalf("invocation %+v", inv)
	}
	if inv.ColdStart {
		t.Fatal("httpserver called its first request a cold start though the outer adapter said the process is warm")
	}
}

// TestWebhookHandshake: the CloudEvents webhook validation handshake,
// opt-in by origin.
func TestWebhookHandshake(t *testing.T) {
	options := func(base, origin string) response {
		h := map[string]string{}
		if origin != "" {
			h["WebHook-Request-Origin"] = origin
		}
		return do(t, base, request{method: http.MethodOptions, headers: h})
	}
	on := serve(t, New(&recorder{}, WithWebhookOrigins("120", "eventgrid.azure.net")))
	if r := options(on, "eventgrid.azure.net"); r.status != 200 || r.header.Get("WebHook-Allowed-Origin") != "eventgrid.azure.net" || r.header.Get("WebHook-Allowed-Rate") != "120" {
		t.Fatalf("allowed origin: %d %v", r.status, r.header)
	}
	if r := options(on, "evil.example"); r.status != http.StatusForbidden || r.header.Get("WebHook-Allowed-Origin") != "" {
		t.Fatalf("other origin: %d %v", r.status, r.header)
	}
	if r := options(on, ""); r.status != http.StatusBadRequest || !strings.Contains(r.Problem(t).Detail, "WebHook-Request-Origin") {
		t.Fatalf("no origin: %d %s", r.status, r.body)
	}
	anyOrigin := serve(t, New(&recorder{}, WithWebhookOrigins("", "*")))
	if r := options(anyOrigin, "x.example"); r.status != 200 || r.header.Get("WebHook-Allowed-Rate") != "*" {
		t.Fatalf("any origin: %d %v", r.status, r.header)
	}
	off := serve(t, New(&recorder{}))
	if r := options(off, "eventgrid.azure.net"); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("off by default: %d", r.status)
	}
}
