package events

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Publisher sends CloudEvents to a destination: a CloudEvents HTTP sink, a
// message bus, or memory in tests. It is the outbound port of fnkit.
//
// Publish sends each event in order and returns nil only if the
// destination accepted every one. If some were not accepted it returns a
// *PublishError that lists the failed events by index (events it does not
// list were accepted); an error of any other type means none of the
// events is known to be accepted. FailedIndexes reads either form. Publish
// with no events does nothing and returns nil.
//
// Errors carry handler error classes, so a handler that returns a publish
// error is retried only if retrying can help: an event the destination
// refuses for good (invalid, 4xx) is handler.ClassPermanent or
// ClassInvalidInput, a throttled destination is ClassThrottled, anything
// else (network, 5xx, timeouts, ctx errors) is retryable. A Publisher
// never changes the events it is given, and is safe for concurrent use.
//
// A Publisher that holds resources also implements io.Closer; Close
// flushes what is buffered.
type Publisher interface {
	Publish(ctx context.Context, events ...event.Event) error
}

// PublisherFunc adapts an ordinary function to a Publisher.
type PublisherFunc func(ctx context.Context, events ...event.Event) error

// Publish calls f(ctx, events...).
func (f PublisherFunc) Publish(ctx context.Context, events ...event.Event) error {
	return f(ctx, events...)
}

// ErrPublish is matched by errors.Is against every *PublishError.
var ErrPublish = errors.New("events: publish failed")

// Failure is one event that a Publisher could not publish.
type Failure struct {
	// Index is the event's position in the Publish call.
	Index int
	// ID and Source identify the event (empty if it had no context).
	ID, Source string
	// Err says why; its handler class says whether retrying may help.
	Err error
}

// PublishError reports the events of one Publish call that failed; the
// others were published. Failures are in index order.
type PublishError struct {
	// Total is the number of events given to Publish.
	Total int
	// Failures lists the failed events, at least one.
	Failures []Failure
}

// Error names how many events failed and the first reason.
func (e *PublishError) Error() string {
	if len(e.Failures) == 0 {
		return ErrPublish.Error()
	}
	var b strings.Builder
	b.WriteString(ErrPublish.Error())
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(len(e.Failures)))
	b.WriteString(" of ")
	b.WriteString(strconv.Itoa(e.Total))
	b.WriteString(" events; event ")
	f := e.Failures[0]
	b.WriteString(strconv.Itoa(f.Index))
	if f.ID != "" {
		b.WriteString(" (id ")
		b.WriteString(strconv.Quote(f.ID))
		b.WriteString(")")
	}
	b.WriteString(": ")
	if f.Err != nil {
		b.WriteString(f.Err.Error())
	} else {
		b.WriteString("unknown error")
	}
	return b.String()
}

// Is reports whether target is ErrPublish.
func (e *PublishError) Is(target error) bool { return target == ErrPublish }

// Unwrap returns the error of every failure, for errors.Is and errors.As.
func (e *PublishError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failures))
	for _, f := range e.Failures {
		if f.Err != nil {
			errs = append(errs, f.Err)
		}
	}
	return errs
}

// As gives handler.ClassOf the class of the whole call: when target is a
// **handler.Error it is set to the error of the first failure that may be
// retried (so a handler that returns this error is delivered again while
// any event can still succeed), or else of the first failure.
func (e *PublishError) As(target any) bool {
	p, ok := target.(**handler.Error)
	if !ok || len(e.Failures) == 0 {
		return false
	}
	pick := e.Failures[0].Err
	for _, f := range e.Failures {
		if handler.ClassOf(f.Err).Retry() {
			pick = f.Err
			break
		}
	}
	var he *handler.Error
	if errors.As(pick, &he) {
		*p = he
		return true
	}
	*p = &handler.Error{Class: handler.ClassRetryable, Err: pick}
	return true
}

// FailedIndexes returns the indexes, in order, of the events of a Publish
// call of n events that err reports failed: none for nil, the listed ones
// for a *PublishError, and all n for any other error.
func FailedIndexes(err error, n int) []int {
	if err == nil {
		return nil
	}
	var pe *PublishError
	if errors.As(err, &pe) {
		out := make([]int, 0, len(pe.Failures))
		for _, f := range pe.Failures {
			out = append(out, f.Index)
		}
		return out
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Collector builds the error of a Publish call one event at a time, for
// Publisher implementations. The zero value is ready to use.
type Collector struct {
	failures []Failure
}

// Fail records that the event at index i failed with err.
func (c *Collector) Fail(i int, e *event.Event, err error) {
	f := Failure{Index: i, Err: err}
	if e != nil && e.Context != nil {
		f.ID, f.Source = e.ID(), e.Source()
	}
	c.failures = append(c.failures, f)
}

// Err returns nil if nothing failed, else a *PublishError of total
// events.
func (c *Collector) Err(total int) error {
	if len(c.failures) == 0 {
		return nil
	}
	return &PublishError{Total: total, Failures: c.failures}
}

// CheckEvent reports, as an invalid-input error naming the attributes at
// fault, whether e is not a valid CloudEvent that a Publisher can send.
func CheckEvent(e *event.Event) error {
	if e.Context == nil {
		return handler.InvalidInputf("events: invalid event: no context (specversion, id, source and type are required)")
	}
	if err := e.Validate(); err != nil {
		return handler.InvalidInputf("events: invalid event: %w", err)
	}
	return nil
}

// Decorate returns a Publisher that passes a copy of each event through
// fn before p publishes it; the caller's events are not changed. Use it
// to stamp outgoing events from the context, for example with the
// distributed-tracing extension of the current span:
//
//	pub = events.Decorate(pub, middleware.Propagate)
//
// fn must be safe for concurrent use. Decorate panics if p or fn is nil.
func Decorate(p Publisher, fn func(ctx context.Context, e *event.Event)) Publisher {
	if p == nil || fn == nil {
		panic("events: Decorate needs a publisher and a function")
	}
	return PublisherFunc(func(ctx context.Context, events ...event.Event) error {
		out := make([]event.Event, len(events))
		for i := range events {
			if events[i].Context == nil {
				out[i] = events[i] // invalid: p reports it
				continue
			}
			out[i] = events[i].Clone()
			fn(ctx, &out[i])
		}
		return p.Publish(ctx, out...)
	})
}
