package handler

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Class says how a platform should treat a failed invocation.
type Class int

// The error classes. Any error that is not classified is Retryable.
const (
	// ClassNone is the class of a nil error.
	ClassNone Class = iota
	// ClassRetryable marks a transient failure: the platform may deliver the
	// event again. It is the class of every unclassified error.
	ClassRetryable
	// ClassInvalidInput marks an event the handler can never accept (bad
	// data, failed validation). It is never retried.
	ClassInvalidInput
	// ClassPermanent marks a failure that retrying cannot fix (a business
	// rule refused the event). It is never retried.
	ClassPermanent
	// ClassThrottled marks a failure caused by load: retry later, after the
	// error's RetryAfter if it gives one.
	ClassThrottled
)

// String returns the class name in lower case, as used in logs and metrics.
func (c Class) String() string {
	switch c {
	case ClassNone:
		return "none"
	case ClassRetryable:
		return "retryable"
	case ClassInvalidInput:
		return "invalid_input"
	case ClassPermanent:
		return "permanent"
	case ClassThrottled:
		return "throttled"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Retry reports whether the platform should deliver the event again.
func (c Class) Retry() bool { return c == ClassRetryable || c == ClassThrottled }

// Sentinels matched by errors.Is against classified errors: for example
// errors.Is(err, ErrInvalidInput) is true for every error made by
// InvalidInput. A plain error matches none of them (not even ErrRetryable,
// which only Retryable errors match); use ClassOf to learn any error's class.
var (
	ErrInvalidInput = errors.New("handler: invalid input")
	ErrPermanent    = errors.New("handler: permanent failure")
	ErrThrottled    = errors.New("handler: throttled")
	ErrRetryable    = errors.New("handler: retryable failure")
	// ErrUnsupportedMediaType is matched by the invalid-input errors that
	// report event data in a content type the handler cannot decode.
	// HTTP adapters answer it with 415.
	ErrUnsupportedMediaType = errors.New("handler: unsupported media type")
	// ErrNoData is matched by the invalid-input error of a typed handler
	// that receives an event without data.
	ErrNoData = errors.New("handler: event has no data")
)

// FieldError describes one field of the input that failed decoding or
// validation. It is safe to show to clients.
type FieldError struct {
	// Field is the path of the field as the client wrote it (JSON names),
	// for example "items[0].qty".
	Field string `json:"field"`
	// Rule is the failed rule, for example "required" or "max" ("type" for
	// a value of the wrong JSON type).
	Rule string `json:"rule,omitempty"`
	// Message explains the failure in a sentence.
	Message string `json:"message"`
}

// Error is a classified error. Create it with InvalidInput, Permanent,
// Throttled or Retryable, or directly when you need every field.
//
// The message of Err is internal: adapters log it but never send it to
// clients, except for ClassInvalidInput, where Error() describes the
// client's own input. Detail and Fields are always client-facing.
type Error struct {
	// Class is the error class; the zero value means ClassRetryable.
	Class Class
	// Err is the cause.
	Err error
	// Detail is a client-facing explanation; empty means a generic text.
	Detail string
	// Fields lists the fields that failed, for invalid input.
	Fields []FieldError
	// RetryAfter is how long a throttled caller should wait; zero means
	// the platform's default.
	RetryAfter time.Duration
}

// Error returns the class prefix and the cause's message.
func (e *Error) Error() string {
	cls := e.class()
	if e.Err == nil {
		if e.Detail != "" {
			return cls.sentinel().Error() + ": " + e.Detail
		}
		return cls.sentinel().Error()
	}
	return cls.sentinel().Error() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's class
// (ErrInvalidInput, ErrPermanent, ErrThrottled or ErrRetryable).
func (e *Error) Is(target error) bool {
	return target == e.class().sentinel()
}

func (e *Error) class() Class {
	if e.Class == ClassNone {
		return ClassRetryable
	}
	return e.Class
}

func (c Class) sentinel() error {
	switch c {
	case ClassInvalidInput:
		return ErrInvalidInput
	case ClassPermanent:
		return ErrPermanent
	case ClassThrottled:
		return ErrThrottled
	}
	return ErrRetryable
}

// InvalidInput marks err as invalid input: the event can never succeed and
// is not retried. Its message is shown to the client, so it should describe
// the input, not the server. fields optionally name the fields at fault.
// InvalidInput(nil) returns nil.
func InvalidInput(err error, fields ...FieldError) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassInvalidInput, Err: err, Detail: err.Error(), Fields: fields}
}

// InvalidInputf is InvalidInput(fmt.Errorf(format, args...)).
func InvalidInputf(format string, args ...any) error {
	return InvalidInput(fmt.Errorf(format, args...))
}

// Permanent marks err as a permanent failure: retrying cannot help, so the
// event is not retried (it goes to a dead-letter publisher if one is
// configured). Permanent(nil) returns nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassPermanent, Err: err}
}

// Throttled marks err as a load failure: the platform should retry after
// retryAfter (zero: its default back-off). Throttled(nil, d) returns nil.
func Throttled(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassThrottled, Err: err, RetryAfter: retryAfter}
}

// Retryable marks err as retryable even if it wraps an error of another
// class. Plain errors are retryable already. Retryable(nil) returns nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassRetryable, Err: err}
}

// ClassOf returns the class of err: ClassNone for nil, the class of the
// outermost *Error in err's chain, and ClassRetryable for anything else
// (context.Canceled and context.DeadlineExceeded included).
func ClassOf(err error) Class {
	if err == nil {
		return ClassNone
	}
	var e *Error
	if errors.As(err, &e) {
		return e.class()
	}
	return ClassRetryable
}

// IsDeadline reports whether err comes from an exceeded deadline
// (context.DeadlineExceeded anywhere in its chain). HTTP adapters answer it
// with 504 when it is otherwise retryable.
func IsDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

// Detail returns what may be shown to a client about err: the Detail and
// Fields of its outermost *Error, or "" and nil when there is none.
func Detail(err error) (string, []FieldError) {
	var e *Error
	if errors.As(err, &e) {
		return e.Detail, e.Fields
	}
	return "", nil
}

// RetryAfter returns the RetryAfter of err's outermost *Error, or zero.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
