package azurefunctions_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/handler"
)

// nullWriter is a reusable ResponseWriter.
type nullWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) WriteHeader(code int)        { w.status = code }
func (w *nullWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// BenchmarkServeQueue measures one Storage Queue invocation through
// ServeHTTP, the handler doing nothing: the adapter's own cost. The peer
// comparison with bare net/http is internal/bench's
// BenchmarkAzureQueueInvocation.
func BenchmarkServeQueue(b *testing.B) {
	h := azurefunctions.New([]azurefunctions.Function{azurefunctions.StorageQueue("OnQueue", "q",
		handler.Func(func(context.Context, event.Event) (*event.Event, error) { return nil, nil }))}, quiet)
	body := fixture(b, "queue-double.json")
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/OnQueue", nil)
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(body))
	rd := bytes.NewReader(nil)
	w := &nullWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, r)
	}
	if w.status != http.StatusOK {
		b.Fatalf("status %d", w.status)
	}
}
