package knative

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
)

// attemptKey carries a push delivery's attempt from pushAdapter to the
// handler's invocation.
type attemptKey struct{}

// pushAdapter turns Pub/Sub push deliveries into structured CloudEvents
// requests for httpserver; see WithPubSubPush.
type pushAdapter struct {
	next http.Handler
}

func (p *pushAdapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Ce-Id") != "" || r.Header.Get("Ce-Specversion") != "" || !isJSON(r.Header.Get("Content-Type")) {
		p.next.ServeHTTP(w, r)
		return
	}
	limit := int64(httpserver.DefaultMaxBodyBytes)
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil || int64(len(body)) > limit || !events.IsPubSubPush(body) {
		// Not a push delivery (or too large to be one): httpserver
		// serves it, reading what is left of the body.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		p.next.ServeHTTP(w, r)
		return
	}
	e, attempt, err := events.FromPubSubPush(body, events.TopicFromPath(r.URL.Path))
	if err != nil {
		httpserver.WriteProblem(w, err)
		return
	}
	ctx := r.Context()
	if attempt > 0 {
		ctx = context.WithValue(ctx, attemptKey{}, attempt)
	}
	// Binary mode keeps the data bytes exactly as Pub/Sub sent them.
	r2 := r.Clone(ctx)
	h := r2.Header
	h.Set("Ce-Specversion", event.CloudEventsVersionV1)
	h.Set("Ce-Id", escapeHeader(e.ID()))
	h.Set("Ce-Source", escapeHeader(e.Source()))
	h.Set("Ce-Type", e.Type())
	if !e.Time().IsZero() {
		h.Set("Ce-Time", types.FormatTime(e.Time()))
	}
	h.Set("Content-Type", e.DataContentType())
	data := e.Data()
	r2.Body = io.NopCloser(bytes.NewReader(data))
	r2.ContentLength = int64(len(data))
	p.next.ServeHTTP(w, r2)
}

func isJSON(ct string) bool {
	if ct == "" {
		return false
	}
	media, _, err := mime.ParseMediaType(ct)
	return err == nil && media == "application/json"
}

// escapeHeader percent-encodes what the CloudEvents HTTP binding requires
// of header values: space, '"', '%' and anything outside printable ASCII.
func escapeHeader(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '%' {
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
