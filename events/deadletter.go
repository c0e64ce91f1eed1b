package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Extensions a DeadLetter adds to the events it sends, so that whoever
// reads the dead-letter destination knows why each event is there.
const (
	// ExtErrorClass is the failure's handler class: "permanent" or
	// "invalid_input".
	ExtErrorClass = "fnkiterrorclass"
	// ExtError is the failure's message, cut to MaxDeadLetterErrorLen
	// bytes. It is internal text: keep the destination private.
	ExtError = "fnkiterror"
	// ExtAttempt is the delivery attempt that failed, when the platform
	// tells (handler.Invocation.Attempt).
	ExtAttempt = "fnkitattempt"
	// ExtPlatform is the platform that delivered the event
	// (handler.Invocation.Platform).
	ExtPlatform = "fnkitplatform"
)

// MaxDeadLetterErrorLen bounds the ExtError extension.
const MaxDeadLetterErrorLen = 1024

// ErrDeadLetter is matched by the error of a failed event that could not
// be sent to the dead-letter destination either.
var ErrDeadLetter = errors.New("events: dead-letter publish failed")

// DeadLetter sends events that failed for good (handler.ClassPermanent and
// ClassInvalidInput) to a dead-letter Publisher, so that an event the
// platform will not retry is kept rather than dropped. The event goes
// unchanged (same id, source, type and data, so the destination can
// deduplicate) with the extensions ExtErrorClass, ExtError and, when known,
// ExtAttempt and ExtPlatform. Make it with NewDeadLetter; it is safe for
// concurrent use if its Publisher is.
type DeadLetter struct {
	pub        Publisher
	returnsErr bool
}

// DeadLetterOption configures NewDeadLetter.
type DeadLetterOption func(*DeadLetter)

// WithFailureReturned makes Middleware return the handler's error even
// after the event was dead-lettered, for synchronous callers (an HTTP
// client) who must learn that their request failed.
func WithFailureReturned() DeadLetterOption {
	return func(d *DeadLetter) { d.returnsErr = true }
}

// NewDeadLetter returns a DeadLetter publishing to p. It panics if p is
// nil.
func NewDeadLetter(p Publisher, opts ...DeadLetterOption) *DeadLetter {
	if p == nil {
		panic("events: NewDeadLetter(nil)")
	}
	d := &DeadLetter{pub: p}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Wants reports whether err is a failure a DeadLetter takes: an invalid
// input or a permanent failure, which no platform retries.
func Wants(err error) bool {
	c := handler.ClassOf(err)
	return c == handler.ClassPermanent || c == handler.ClassInvalidInput
}

// Send publishes the dead-letter copy of e, which failed with cause. It
// does not check the class of cause (see Wants); adapters call it for the
// failures they will not retry. The error, if any, matches ErrDeadLetter
// and is retryable.
func (d *DeadLetter) Send(ctx context.Context, e event.Event, cause error) error {
	if e.Context == nil {
		return handler.Retryable(fmt.Errorf("%w: the failed event has no context", ErrDeadLetter))
	}
	dl := e.Clone()
	dl.SetExtension(ExtErrorClass, handler.ClassOf(cause).String())
	msg := "unknown error"
	if cause != nil {
		msg = cause.Error()
	}
	if len(msg) > MaxDeadLetterErrorLen {
		msg = strings.ToValidUTF8(msg[:MaxDeadLetterErrorLen], "")
	}
	dl.SetExtension(ExtError, msg)
	if inv, ok := handler.InvocationFrom(ctx); ok {
		if inv.Attempt > 0 {
			dl.SetExtension(ExtAttempt, strconv.Itoa(inv.Attempt))
		}
		if inv.Platform != "" {
			dl.SetExtension(ExtPlatform, inv.Platform)
		}
	}
	if err := d.pub.Publish(ctx, dl); err != nil {
		return handler.Retryable(fmt.Errorf("%w: event %q: %w", ErrDeadLetter, e.ID(), err))
	}
	return nil
}

// Middleware returns middleware that sends each event whose handler fails
// for good (Wants) to the dead-letter destination, then reports success
// (nil error, no reply): the event is kept, and the platform must neither
// retry it nor count it failed. With WithFailureReturned it returns the
// handler's error instead. If the dead-letter publish fails, it returns a
// retryable error wrapping both, so the platform delivers the event again
// and nothing is lost. Other results pass through unchanged.
func (d *DeadLetter) Middleware() handler.Middleware {
	return func(next handler.Handler) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			reply, err := next.Handle(ctx, e)
			if err == nil || !Wants(err) {
				return reply, err
			}
			if derr := d.Send(ctx, e, err); derr != nil {
				return nil, handler.Retryable(fmt.Errorf("%w (handler failed: %w)", derr, err))
			}
			if d.returnsErr {
				return nil, err
			}
			return nil, nil
		})
	}
}
