package azurefunctions_test

import (
	"context"
	"encoding/json"
	"errors"
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
