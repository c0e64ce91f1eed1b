package middleware

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Rule is one envelope rule of Validate. Make rules with AllowTypes,
// AllowSources, RequireExtensions, AllowDataContentTypes and MaxDataSize.
type Rule struct {
	name  string
	field string
	check func(e *event.Event) error
}

// Name returns the rule's name, as written in FieldError.Rule.
func (r Rule) Name() string { return r.name }

// AllowTypes accepts only events whose type is one of types. An entry
// ending in "*" accepts every type that starts with what precedes it.
func AllowTypes(types ...string) Rule {
	return Rule{name: "allowed_types", field: "type", check: func(e *event.Event) error {
		if matchAny(types, e.Type()) {
			return nil
		}
		return fmt.Errorf("type %q is not one of %s", clip(e.Type()), strings.Join(types, ", "))
	}}
}

// AllowSources accepts only events whose source is one of sources, with
// the same trailing "*" prefix rule as AllowTypes.
func AllowSources(sources ...string) Rule {
	return Rule{name: "allowed_sources", field: "source", check: func(e *event.Event) error {
		if matchAny(sources, e.Source()) {
			return nil
		}
		return fmt.Errorf("source %q is not one of %s", clip(e.Source()), strings.Join(sources, ", "))
	}}
}

// RequireExtensions accepts only events that carry every named extension
// attribute with a non-empty value.
func RequireExtensions(names ...string) Rule {
	return Rule{name: "required_extensions", field: "extensions", check: func(e *event.Event) error {
		for _, n := range names {
			if s, ok := extString(e, n); !ok || s == "" {
				return fmt.Errorf("extension %q is required", n)
			}
		}
		return nil
	}}
}

// AllowDataContentTypes accepts only events whose datacontenttype, without
// parameters and compared without regard to case, is one of types ("" for
// an event without one). An entry like "application/*+json" accepts every
// subtype with that suffix, "text/*" every subtype.
func AllowDataContentTypes(types ...string) Rule {
	lower := make([]string, len(types))
	for i, t := range types {
		lower[i] = strings.ToLower(t)
	}
	return Rule{name: "allowed_data_content_types", field: "datacontenttype", check: func(e *event.Event) error {
		ct := e.DataContentType()
		mt := ""
		if ct != "" {
			var err error
			if mt, _, err = mime.ParseMediaType(ct); err != nil {
				return fmt.Errorf("datacontenttype %q does not parse: %w", clip(ct), err)
			}
		}
		for _, t := range lower {
			if mediaMatch(t, mt) {
				return nil
			}
		}
		return fmt.Errorf("datacontenttype %q is not one of %s", clip(ct), strings.Join(types, ", "))
	}}
}

func mediaMatch(pattern, mt string) bool {
	if pattern == mt {
		return true
	}
	pt, psub, ok := strings.Cut(pattern, "/")
	mtt, msub, ok2 := strings.Cut(mt, "/")
	if !ok || !ok2 || pt != mtt {
		return false
	}
	if psub == "*" {
		return true
	}
	if suffix, ok := strings.CutPrefix(psub, "*"); ok {
		return strings.HasSuffix(msub, suffix)
	}
	return false
}

// MaxDataSize accepts only events whose encoded data has at most n bytes.
// A negative n panics.
func MaxDataSize(n int) Rule {
	if n < 0 {
		panic("middleware: MaxDataSize: negative size")
	}
	return Rule{name: "max_data_size", field: "data", check: func(e *event.Event) error {
		if len(e.Data()) > n {
			return fmt.Errorf("data has %d bytes, more than the %d allowed", len(e.Data()), n)
		}
		return nil
	}}
}

func matchAny(patterns []string, s string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			return strings.HasPrefix(s, prefix)
		}
		return p == s
	})
}

// WithRules gives DefaultStack the envelope rules of its Validate
// middleware; without rules the default stack has no Validate.
func WithRules(rules ...Rule) Option {
	return func(c *config) { c.rules = append(c.rules, rules...) }
}

// Validate checks each event's envelope against rules before the handler
// runs. An event that breaks rules gets an invalid-input error (never
// retried) whose message and FieldError name every broken rule, and the
// handler is not called. Validating the data itself stays with typed
// handlers (`validate` struct tags). A zero Rule panics.
//
//	h = handler.Chain(middleware.Validate(
//		middleware.AllowTypes("com.example.order.*"),
//		middleware.MaxDataSize(64<<10),
//	))(h)
func Validate(rules ...Rule) handler.Middleware {
	for _, r := range rules {
		if r.check == nil {
			panic("middleware: Validate: zero Rule")
		}
	}
	rules = slices.Clone(rules)
	return func(next handler.Handler) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			var fields []handler.FieldError
			for _, r := range rules {
				if err := r.check(&e); err != nil {
					fields = append(fields, handler.FieldError{Field: r.field, Rule: r.name, Message: err.Error()})
				}
			}
			if fields != nil {
				return nil, invalidEnvelope(fields)
			}
			return next.Handle(ctx, e)
		})
	}
}

// ErrInvalidEnvelope is matched by the errors of Validate.
var ErrInvalidEnvelope = errors.New("middleware: event envelope breaks a rule")

func invalidEnvelope(fields []handler.FieldError) error {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Rule)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return handler.InvalidInput(fmt.Errorf("%w: %s", ErrInvalidEnvelope, b.String()), fields...)
}
