package azurefunctions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/handler"
)

// The fuzz targets: every decoder either fails with an invalid-input
// error matching ErrBadPayload, or gives valid CloudEvents; none panics.
// Seeds: the recorded payloads of testdata and testdata/fuzz/FuzzXxx.

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(fixture(f, n))
	}
}

func checkBad(t *testing.T, err error) {
	t.Helper()
	if handler.ClassOf(err) != handler.ClassInvalidInput || !errors.Is(err, azurefunctions.ErrBadPayload) {
		t.Fatalf("error of class %v not matching ErrBadPayload: %v", handler.ClassOf(err), err)
	}
}

func checkEvent(t *testing.T, e event.Event) {
	t.Helper()
	if err := e.Validate(); err != nil {
		t.Fatalf("invalid event: %v", err)
	}
	if _, err := json.Marshal(e); err != nil {
		t.Fatalf("event does not encode: %v", err)
	}
}

// fuzzOne runs a single-event decoder on a parsed request.
func fuzzOne(f *testing.F, decode func(azurefunctions.Request) (event.Event, int, error)) {
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := azurefunctions.ParseRequest(body)
		if err != nil {
			checkBad(t, err)
			return
		}
		e, attempt, err := decode(req)
		if err != nil {
			checkBad(t, err)
			return
		}
		if attempt < 0 {
			t.Fatalf("attempt %d", attempt)
		}
		checkEvent(t, e)
	})
}

func FuzzEventGrid(f *testing.F) {
	seed(f, "eventgrid-cloudevent.json", "eventgrid-schema.json", "eventgrid-string.json")
	fuzzOne(f, func(r azurefunctions.Request) (event.Event, int, error) {
		raw, err := r.Binding("event")
		if err != nil {
			return event.Event{}, 0, err
		}
		e, err := azurefunctions.FromEventGrid(raw)
		return e, 0, err
	})
}

func FuzzStorageQueue(f *testing.F) {
	seed(f, "queue.json", "queue-double.json")
	fuzzOne(f, func(r azurefunctions.Request) (event.Event, int, error) {
		return azurefunctions.FromStorageQueue(r, "message", "/functions/Q")
	})
}

func FuzzServiceBus(f *testing.F) {
	seed(f, "servicebus.json")
	fuzzOne(f, func(r azurefunctions.Request) (event.Event, int, error) {
		return azurefunctions.FromServiceBus(r, "message", "/functions/S")
	})
}

func FuzzBlob(f *testing.F) {
	seed(f, "blob.json")
	fuzzOne(f, func(r azurefunctions.Request) (event.Event, int, error) {
		e, err := azurefunctions.FromBlob(r, "blob", "/functions/B")
		return e, 0, err
	})
}

func FuzzTimer(f *testing.F) {
	seed(f, "timer.json")
	fuzzOne(f, func(r azurefunctions.Request) (event.Event, int, error) {
		e, err := azurefunctions.FromTimer(r, "timer", "/functions/T")
		return e, 0, err
	})
}

func FuzzEventHubs(f *testing.F) {
	seed(f, "eventhubs.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := azurefunctions.ParseRequest(body)
		if err != nil {
			checkBad(t, err)
			return
		}
		evs, err := azurefunctions.FromEventHubs(req, "events")
		if err != nil {
			checkBad(t, err)
			return
		}
		for _, e := range evs {
			checkEvent(t, e)
		}
	})
}

func FuzzHTTPRequest(f *testing.F) {
	seed(f, "http.json", "http-binary.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := azurefunctions.ParseRequest(body)
		if err != nil {
			checkBad(t, err)
			return
		}
		raw, err := req.Binding("req")
		if err != nil {
			checkBad(t, err)
			return
		}
		r, err := azurefunctions.NewHTTPRequest(context.Background(), raw)
		if err != nil {
			checkBad(t, err)
			return
		}
		if r.Method == "" || r.URL == nil {
			t.Fatalf("request without method or URL: %+v", r)
		}
	})
}

// FuzzParseRequest: ParseRequest splits the payload exactly as
// encoding/json would decode it into maps of raw values.
func FuzzParseRequest(f *testing.F) {
	seed(f, "queue.json", "servicebus.json", "eventhubs.json", "http.json", "timer.json")
	f.Add([]byte(`{"Data" : { "a\u0062" : [1, {"x":"}"}] , "c":"\"q\\\""} , "Metadata":{"k":  7 }}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := azurefunctions.ParseRequest(body)
		var want struct {
			Data     map[string]json.RawMessage `json:"Data"`
			Metadata map[string]json.RawMessage `json:"Metadata"`
		}
		jerr := json.Unmarshal(body, &want)
		if err != nil {
			checkBad(t, err)
			return
		}
		if jerr != nil {
			t.Fatalf("ParseRequest accepted what encoding/json refuses: %v", jerr)
		}
		// encoding/json merges members whose names differ only in case
		// ("Data" and "data"); ParseRequest takes one. Compare the rest.
		var top map[string]json.RawMessage
		_ = json.Unmarshal(body, &top)
		n := map[string]int{}
		for k := range top {
			n[strings.ToLower(k)]++
		}
		if n["data"] > 1 || n["metadata"] > 1 {
			return
		}
		for _, pair := range [2][2]map[string]json.RawMessage{{req.Data, want.Data}, {req.Metadata, want.Metadata}} {
			got, exp := pair[0], pair[1]
			if len(exp) > 0 && len(got) != len(exp) {
				t.Fatalf("%d members, encoding/json finds %d", len(got), len(exp))
			}
			for k, v := range exp {
				if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
					t.Fatalf("member %q = %s, encoding/json gives %s", k, got[k], v)
				}
			}
		}
	})
}

// FuzzServeHTTP: any payload posted to any function of the app is
// answered 200 with a response payload, or 4xx/5xx with a problem
// document; nothing panics.
func FuzzServeHTTP(f *testing.F) {
	fns := appFunctions()
	for _, n := range []string{"eventgrid-cloudevent.json", "queue-double.json", "servicebus.json", "eventhubs.json", "blob.json", "timer.json", "http.json"} {
		for i := range fns {
			f.Add(uint8(i), fixture(f, n))
		}
	}
	h := azurefunctions.New(fns, quiet)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		fn := fns[int(which)%len(fns)]
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/"+fn.Name(), bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(w, r)
		switch {
		case w.Code == http.StatusOK:
			var resp azurefunctions.Response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Outputs == nil || resp.Logs == nil {
				t.Fatalf("200 without a response payload: %v: %s", err, w.Body.Bytes())
			}
		case w.Code >= 400:
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("%d with %s: %s", w.Code, ct, w.Body.Bytes())
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
