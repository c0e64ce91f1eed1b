package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/fnkit/fnkit/handler"
)

// RedactingHandler returns a slog.Handler that writes through h with the
// values of the given keys, and of DefaultRedactedKeys, replaced by
// Redacted: in attributes at any depth of groups, and in http.Header,
// map[string]string and map[string][]string values. Keys are compared
// without regard to case. Records without such keys pass through
// unchanged, at no cost.
func RedactingHandler(h slog.Handler, keys ...string) slog.Handler {
	return newRedactor(h, keys)
}

type redactor struct {
	next slog.Handler
	keys []string
}

func newRedactor(h slog.Handler, keys []string) *redactor {
	all := DefaultRedactedKeys()
	for _, k := range keys {
		all = append(all, strings.ToLower(k))
	}
	return &redactor{next: h, keys: all}
}

func (r *redactor) secret(key string) bool {
	for _, k := range r.keys {
		if len(k) == len(key) && strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// needs reports whether a needs rewriting.
func (r *redactor) needs(a slog.Attr) bool {
	if r.secret(a.Key) {
		return true
	}
	switch a.Value.Kind() {
	case slog.KindGroup:
		for _, g := range a.Value.Group() {
			if r.needs(g) {
				return true
			}
		}
	case slog.KindAny, slog.KindLogValuer:
		switch a.Value.Any().(type) {
		case http.Header, map[string]string, map[string][]string:
			return true
		}
	}
	return false
}

func (r *redactor) attr(a slog.Attr) slog.Attr {
	if r.secret(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = r.attr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case slog.KindAny:
		switch m := v.Any().(type) {
		case http.Header:
			return slog.Any(a.Key, r.multi(m))
		case map[string][]string:
			return slog.Any(a.Key, r.multi(m))
		case map[string]string:
			out := make(map[string]string, len(m))
			for k, x := range m {
				if r.secret(k) {
					x = Redacted
				}
				out[k] = x
			}
			return slog.Any(a.Key, out)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (r *redactor) multi(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, x := range m {
		if r.secret(k) {
			x = []string{Redacted}
		}
		out[k] = x
	}
	return out
}

func (r *redactor) Enabled(ctx context.Context, l slog.Level) bool { return r.next.Enabled(ctx, l) }

func (r *redactor) Handle(ctx context.Context, rec slog.Record) error {
	dirty := false
	rec.Attrs(func(a slog.Attr) bool {
		dirty = r.needs(a)
		return !dirty
	})
	if !dirty {
		return r.next.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(r.attr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r *redactor) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = r.attr(a)
	}
	return &redactor{next: r.next.WithAttrs(out), keys: r.keys}
}

func (r *redactor) WithGroup(name string) slog.Handler {
	return &redactor{next: r.next.WithGroup(name), keys: r.keys}
}

func newPanicError(v any) *handler.PanicError {
	return &handler.PanicError{Value: v, Stack: debug.Stack()}
}
