// Package handlertest invokes handlers in-process for unit tests, as
// net/http/httptest does for HTTP handlers: build a valid CloudEvent in one
// line, invoke a handler as an adapter would, and inspect the reply and the
// error class. No server, no cloud account.
package handlertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Defaults of NewEvent.
const (
	DefaultSource = "/handlertest"
	DefaultType   = "com.example.test"
)

// EventOption changes an event built by NewEvent.
type EventOption func(*event.Event) error

var eventCounter atomic.Uint64

// NewEvent returns a valid CloudEvent (spec version 1.0) with a fresh id
// ("test-1", "test-2", …), source DefaultSource and type DefaultType,
// changed by opts. Like httptest.NewRequest it panics if an option is
// invalid: it is meant for tests.
func NewEvent(opts ...EventOption) event.Event {
	e := event.New()
	e.SetID(fmt.Sprintf("test-%d", eventCounter.Add(1)))
	e.SetSource(DefaultSource)
	e.SetType(DefaultType)
	for _, o := range opts {
		if err := o(&e); err != nil {
			panic("handlertest: " + err.Error())
		}
	}
	if err := e.Validate(); err != nil {
		panic("handlertest: invalid event: " + err.Error())
	}
	return e
}

// WithID sets the event id.
func WithID(id string) EventOption {
	return func(e *event.Event) error { e.SetID(id); return fieldErr(e, "id") }
}

// WithSource sets the event source, a URI-reference.
func WithSource(source string) EventOption {
	return func(e *event.Event) error { e.SetSource(source); return fieldErr(e, "source") }
}

// WithType sets the event type.
func WithType(t string) EventOption {
	return func(e *event.Event) error { e.SetType(t); return fieldErr(e, "type") }
}

// WithSubject sets the event subject.
func WithSubject(s string) EventOption {
	return func(e *event.Event) error { e.SetSubject(s); return fieldErr(e, "subject") }
}

// WithTime sets the event time.
func WithTime(t time.Time) EventOption {
	return func(e *event.Event) error { e.SetTime(t); return fieldErr(e, "time") }
}

// WithJSON sets the data to v encoded as JSON, content type
// application/json.
func WithJSON(v any) EventOption {
	return func(e *event.Event) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("WithJSON: %w", err)
		}
		e.SetDataContentType(event.ApplicationJSON)
		e.DataEncoded = b
		return nil
	}
}

// WithData sets raw data and its content type ("" for none), unchecked, so
// tests can send malformed data on purpose.
func WithData(contentType string, data []byte) EventOption {
	return func(e *event.Event) error {
		e.SetDataContentType(contentType)
		e.DataEncoded = data
		return nil
	}
}

// WithExtension sets an extension attribute; name must be lower-case
// letters and digits.
func WithExtension(name string, value any) EventOption {
	return func(e *event.Event) error {
		e.SetExtension(name, value)
		return fieldErr(e, name)
	}
}

func fieldErr(e *event.Event, field string) error {
	if err := e.FieldErrors[field]; err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

// Result is the outcome of Invoke.
type Result struct {
	// Reply is the handler's reply; nil for no reply.
	Reply *event.Event
	// Err is the handler's error.
	Err error
}

// Class returns the class of Err, as adapters see it.
func (r *Result) Class() handler.Class { return handler.ClassOf(r.Err) }

// Decode decodes the reply's JSON data into v. It fails if there is no
// reply.
func (r *Result) Decode(v any) error {
	if r.Reply == nil {
		return errors.New("handlertest: no reply")
	}
	if err := json.Unmarshal(r.Reply.Data(), v); err != nil {
		return fmt.Errorf("handlertest: decoding reply data %q: %w", r.Reply.Data(), err)
	}
	return nil
}

// ErrInvalidReply is returned in Result.Err when a handler returns a reply
// that is not a valid CloudEvent: adapters would fail to send it.
var ErrInvalidReply = errors.New("handlertest: handler returned an invalid reply")

// Invoke calls h with e as an adapter would: it rejects an invalid event
// with an invalid-input error without calling h, puts an Invocation
// (platform "test", attempt 1) in the context unless ctx has one, and checks
// that a reply is a valid CloudEvent. Panics in h are not recovered.
func Invoke(ctx context.Context, h handler.Handler, e event.Event) *Result {
	if err := e.Validate(); err != nil {
		return &Result{Err: handler.InvalidInputf("invalid CloudEvent: %w", err)}
	}
	if _, ok := handler.InvocationFrom(ctx); !ok {
		inv := &handler.Invocation{Platform: handler.PlatformTest, RequestID: "req-" + e.ID(), Attempt: 1}
		if d, ok := ctx.Deadline(); ok {
			inv.Deadline = d
		}
		ctx = handler.WithInvocation(ctx, inv)
	}
	reply, err := h.Handle(ctx, e)
	if reply != nil {
		if verr := reply.Validate(); verr != nil {
			return &Result{Reply: reply, Err: errors.Join(err, fmt.Errorf("%w: %w", ErrInvalidReply, verr))}
		}
	}
	return &Result{Reply: reply, Err: err}
}

// ReplyAs decodes the reply's JSON data into a T, failing tb if the
// invocation failed, there is no reply, or the data does not decode.
func ReplyAs[T any](tb testing.TB, r *Result) T {
	tb.Helper()
	var v T
	if r.Err != nil {
		tb.Fatalf("handlertest: invocation failed (%v): %v", r.Class(), r.Err)
	}
	if err := r.Decode(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}
