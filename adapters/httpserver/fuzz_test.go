package httpserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// FuzzServeHTTP drives the whole HTTP → event decoding with arbitrary
// headers and bodies. Whatever arrives, the adapter must not panic, must
// answer with a status of its table, must explain every 4xx, and must only
// ever hand valid CloudEvents to the handler.
func FuzzServeHTTP(f *testing.F) {
	f.Add("application/json", "Ce-Specversion: 1.0\nCe-Id: 1\nCe-Source: /s\nCe-Type: t\n", []byte(`{"name":"x"}`))
	f.Add(mediaStructured, "", []byte(`{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"name":"x"}}`))
	f.Add(mediaBatch, "", []byte(`[{"specversion":"1.0","id":"1","source":"/s","type":"t"},{"id":2}]`))
	f.Add("text/plain", "Ce-Id: 1\nCe-Tenant: a%20b\n", []byte("hi"))
	f.Add("", "Idempotency-Key: k\n", []byte(`{}`))

	allowed := map[int]bool{200: true, 204: true, 400: true, 413: true, 415: true, 422: true, 429: true, 500: true, 504: true}
	var got []event.Event
	rec := &recorder{}
	a := New(rec, WithMaxBodyBytes(4096))

	f.Fuzz(func(t *testing.T, contentType, headers string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/fuzz", bytes.NewReader(body))
		hdr, err := textproto.NewReader(bufio.NewReader(strings.NewReader(headers + "\n\n"))).ReadMIMEHeader()
		if err == nil {
			for k, v := range hdr {
				r.Header[k] = v
			}
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)

		if !allowed[w.Code] {
			t.Fatalf("status %d is not in the table", w.Code)
		}
		if w.Code >= 400 {
			var p Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code {
				t.Fatalf("status %d without a Problem document: %q", w.Code, w.Body.Bytes())
			}
			if w.Code < 500 && p.Detail == "" {
				t.Fatalf("status %d does not say what was wrong", w.Code)
			}
		}
		rec.mu.Lock()
		got = append(got[:0], rec.events...)
		rec.events = rec.events[:0]
		rec.mu.Unlock()
		for _, e := range got {
			if err := checkEvent(&e); err != nil {
				t.Fatalf("an invalid event reached the handler: %v\n%s", err, e)
			}
			if e.SpecVersion() != event.CloudEventsVersionV1 {
				t.Fatalf("a %s event reached the handler", e.SpecVersion())
			}
			for _, s := range []string{e.ID(), e.Source(), e.Type(), e.Subject()} {
				if err := checkString(s); err != nil {
					t.Fatalf("an attribute that is not a CloudEvents String reached the handler: %q: %v", s, err)
				}
			}
		}
	})
}
