package middleware

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

// The invocation line keeps the event's kind (type, source, platform,
// cold start) preformatted; each line must still carry its own event's
// kind, whether kinds alternate or a flood of made-up types outgrows the
// memo, which must stay bounded.
func TestLoggingLineKinds(t *testing.T) {
	lg, buf := jsonLogger(slog.LevelInfo)
	mw := Logging(WithLogger(lg))
	h := mw(handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		if e.Subject() == "true" {
			return nil, errors.New("down")
		}
		return nil, nil
	}))
	type want struct {
		typ, src, platform string
		cold, failed       bool
	}
	var wants []want
	call := func(w want) {
		t.Helper()
		ctx := handler.WithInvocation(context.Background(), &handler.Invocation{Platform: w.platform, ColdStart: w.cold})
		if _, err := h.Handle(ctx, newEvent(handlertest.WithType(w.typ), handlertest.WithSource(w.src), handlertest.WithSubject(fmt.Sprint(w.failed)))); (err != nil) != w.failed {
			t.Fatal(err)
		}
		wants = append(wants, w)
	}
	call(want{"com.example.a", "/a", handler.PlatformHTTP, true, false})
	huge := strings.Repeat("x", 4*maxLogValue) // clipped in the line, and never kept as a memo's key
	call(want{huge, "/a", handler.PlatformHTTP, false, false})
	for range 3 { // alternating kinds, each seen again
		call(want{"com.example.a", "/a", handler.PlatformHTTP, false, false})
		call(want{"com.example.b", "/a", handler.PlatformHTTP, false, false})
		call(want{"com.example.b", "/b", handler.PlatformHTTP, false, false})
		call(want{"com.example.b", "/b", handler.PlatformKnative, false, false})
		call(want{"com.example.b", "/b", handler.PlatformKnative, false, true})
	}
	for i := range 2 * maxLineMemos {
		call(want{fmt.Sprintf("com.example.flood%d", i), "/a", handler.PlatformHTTP, false, i%2 == 0})
	}
	call(want{"com.example.a", "/a", handler.PlatformHTTP, false, false})

	ls := lines(t, buf)
	if len(ls) != len(wants) {
		t.Fatalf("%d lines for %d invocations", len(ls), len(wants))
	}
	for i, l := range ls {
		w := wants[i]
		if w.typ == huge {
			w.typ = clip(huge)
		}
		if l["event_type"] != w.typ || l["event_source"] != w.src || l["platform"] != w.platform || l["cold_start"] != w.cold ||
			l["outcome"] != outcome(w.failed) || (l["error"] == "down") != w.failed {
			t.Fatalf("line %d: %v, want %+v", i, l, w)
		}
	}
	for i, raw := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		for _, k := range []string{`"event_type"`, `"event_source"`, `"platform"`, `"cold_start"`, `"event_id"`, `"outcome"`} {
			if n := strings.Count(raw, k); n != 1 {
				t.Fatalf("line %d has %s %d times: %s", i, k, n, raw)
			}
		}
	}
	var memos int
	h.(*loggingHandler).l.lines.Range(func(k, _ any) bool {
		memos++
		if len(k.(lineKey).typ) > maxLogValue {
			t.Errorf("a %d-byte event type is kept as a memo key", len(k.(lineKey).typ))
		}
		return true
	})
	if memos > maxLineMemos || int(h.(*loggingHandler).l.nLines.Load()) != memos {
		t.Fatalf("%d memoized line handlers (counted %d), bound %d", memos, h.(*loggingHandler).l.nLines.Load(), maxLineMemos)
	}
}
