package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

func TestClassOf(t *testing.T) {
	base := errors.New("base")
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, ClassNone},
		{"plain", base, ClassRetryable},
		{"deadline", context.DeadlineExceeded, ClassRetryable},
		{"invalid", InvalidInput(base), ClassInvalidInput},
		{"wrapped invalid", fmt.Errorf("outer: %w", InvalidInput(base)), ClassInvalidInput},
		{"permanent", Permanent(base), ClassPermanent},
		{"throttled", Throttled(base, time.Second), ClassThrottled},
		{"retryable over permanent", Retryable(Permanent(base)), ClassRetryable},
		{"permanent over invalid", Permanent(InvalidInput(base)), ClassPermanent},
		{"zero class", &Error{Err: base}, ClassRetryable},
		{"joined", errors.Join(base, Permanent(base)), ClassPermanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err != nil && tt.want == ClassRetryable && errors.Is(tt.err, ErrRetryable) != errors.As(tt.err, new(*Error)) {
				t.Fatalf("only explicitly classified errors match ErrRetryable")
			}
			if got := ClassOf(tt.err); got != tt.want {
				t.Fatalf("ClassOf = %v, want %v", got, tt.want)
			}
			var classified *Error
			if errors.As(tt.err, &classified) && !errors.Is(tt.err, tt.want.sentinel()) {
				t.Fatalf("errors.Is(err, %v) = false", tt.want.sentinel())
			}
		})
	}
}

func TestErrorWrapsAndDescribes(t *testing.T) {
	cause := errors.New("db: duplicate key")
	err := fmt.Errorf("saving: %w", Permanent(cause))
	if !errors.Is(err, cause) || !errors.Is(err, ErrPermanent) || errors.Is(err, ErrInvalidInput) {
		t.Fatalf("errors.Is chain broken: %v", err)
	}
	if got, want := err.Error(), "saving: handler: permanent failure: db: duplicate key"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if d, f := Detail(err); d != "" || f != nil {
		t.Fatalf("a permanent error must not expose its cause: %q %v", d, f)
	}
	if got := (&Error{Class: ClassInvalidInput, Detail: "bad"}).Error(); got != "handler: invalid input: bad" {
		t.Fatalf("Error() without cause = %q", got)
	}
	if got := (&Error{Class: ClassThrottled}).Error(); got != "handler: throttled" {
		t.Fatalf("Error() bare = %q", got)
	}
}

func TestInvalidInputDetail(t *testing.T) {
	err := InvalidInput(errors.New("qty must be positive"), FieldError{Field: "qty", Rule: "gt", Message: "must be positive"})
	d, f := Detail(err)
	if d != "qty must be positive" || len(f) != 1 || f[0].Field != "qty" {
		t.Fatalf("Detail = %q %v", d, f)
	}
	if InvalidInputf("n=%d", 3).Error() != "handler: invalid input: n=3" {
		t.Fatalf("InvalidInputf: %v", InvalidInputf("n=%d", 3))
	}
}

func TestRetryAfter(t *testing.T) {
	err := fmt.Errorf("x: %w", Throttled(errors.New("busy"), 3*time.Second))
	if RetryAfter(err) != 3*time.Second {
		t.Fatalf("RetryAfter = %v", RetryAfter(err))
	}
	if RetryAfter(errors.New("plain")) != 0 {
		t.Fatal("plain error has a RetryAfter")
	}
}

func TestNilStaysNil(t *testing.T) {
	for name, err := range map[string]error{
		"InvalidInput": InvalidInput(nil),
		"Permanent":    Permanent(nil),
		"Throttled":    Throttled(nil, time.Second),
		"Retryable":    Retryable(nil),
	} {
		if err != nil {
			t.Errorf("%s(nil) = %v, want nil", name, err)
		}
	}
}

func TestClassString(t *testing.T) {
	want := map[Class]string{ClassNone: "none", ClassRetryable: "retryable", ClassInvalidInput: "invalid_input",
		ClassPermanent: "permanent", ClassThrottled: "throttled", Class(42): "class(42)"}
	for c, s := range want {
		if c.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), s)
		}
	}
	if !ClassRetryable.Retry() || !ClassThrottled.Retry() || ClassInvalidInput.Retry() || ClassPermanent.Retry() || ClassNone.Retry() {
		t.Fatal("Retry() table wrong")
	}
}

func TestIsDeadline(t *testing.T) {
	if !IsDeadline(fmt.Errorf("x: %w", context.DeadlineExceeded)) || IsDeadline(context.Canceled) {
		t.Fatal("IsDeadline wrong")
	}
}

func TestCallRecoversPanics(t *testing.T) {
	boom := errors.New("boom")
	for name, v := range map[string]any{"string": "oops", "error": boom} {
		t.Run(name, func(t *testing.T) {
			h := Func(func(ctx context.Context, e event.Event) (*event.Event, error) { panic(v) })
			reply, err := Call(context.Background(), h, event.New())
			var p *PanicError
			if reply != nil || !errors.As(err, &p) || p.Value != v || len(p.Stack) == 0 {
				t.Fatalf("reply %v err %v", reply, err)
			}
			if ClassOf(err) != ClassRetryable || !strings.Contains(err.Error(), "handler: panic:") {
				t.Fatalf("class %v message %q", ClassOf(err), err)
			}
			if name == "error" && !errors.Is(err, boom) {
				t.Fatal("a panic with an error does not unwrap to it")
			}
		})
	}
	want := event.New()
	got, err := Call(context.Background(), Func(func(ctx context.Context, e event.Event) (*event.Event, error) { return &want, nil }), event.New())
	if err != nil || got != &want {
		t.Fatalf("Call changed a normal result: %v %v", got, err)
	}
}

func TestInvalidJSONWording(t *testing.T) {
	var v struct {
		Qty int `json:"qty"`
	}
	tests := map[string]struct {
		data, want string
	}{
		"syntax":    {`{"qty" 1}`, "malformed JSON at byte 8: invalid character '1' after object key"},
		"truncated": {`{"qty":`, "malformed JSON: unexpected end of data"},
		"field":     {`{"qty":"x"}`, `field "qty": expected an integer, got JSON string`},
		"top level": {`[1]`, "data: expected an object, got JSON array"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := InvalidJSON(json.Unmarshal([]byte(tt.data), &v))
			if ClassOf(err) != ClassInvalidInput {
				t.Fatalf("class %v", ClassOf(err))
			}
			if d, _ := Detail(err); d != tt.want {
				t.Fatalf("detail %q, want %q", d, tt.want)
			}
		})
	}
	if InvalidJSON(nil) != nil {
		t.Fatal("InvalidJSON(nil) != nil")
	}
}
