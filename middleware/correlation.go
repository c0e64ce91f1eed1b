package middleware

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/handler"
)

// WithCorrelationKey sets the CloudEvents extension Correlation reads and
// writes: DefaultCorrelationKey by default. The name must be a valid
// extension name (lower-case letters and digits, at most 20 characters by
// the spec's recommendation); an invalid one panics.
func WithCorrelationKey(name string) Option {
	if !validExtName(name) {
		panic("middleware: WithCorrelationKey: invalid CloudEvents extension name " + name)
	}
	return func(c *config) { c.corrKey = name }
}

func validExtName(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// maxCorrelationID bounds the length of a correlation id taken from an
// event; a longer or otherwise unsafe one is replaced by a fresh id.
const maxCorrelationID = 128

// Correlation gives each invocation a correlation id: the event's
// correlation extension (WithCorrelationKey) when it holds a safe value
// (1 to 128 characters among letters, digits and "-_.:/@+="), otherwise a
// fresh id (WithIDGenerator). Handlers read it with CorrelationID; Logging
// writes it when Correlation runs outside it; Tracing records it as the
// span attribute fnkit.correlation_id; Propagate writes it into emitted
// events, and a reply without one gets it (on a copy: the handler's reply
// is not changed).
func Correlation(opts ...Option) handler.Middleware {
	cfg := newConfig(opts)
	key, newID := cfg.corrKey, cfg.newID
	return func(next handler.Handler) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			id, _ := extString(&e, key)
			if !safeID(id) {
				id = newID()
			}
			ctx = &corrCtx{Context: ctx, id: id, key: key}
			reply, err := next.Handle(ctx, e)
			if reply != nil {
				if _, ok := reply.Extensions()[key]; !ok {
					r := reply.Clone()
					r.SetExtension(key, id)
					reply = &r
				}
			}
			return reply, err
		})
	}
}

type corrKeyT struct{}

type corrCtx struct {
	context.Context
	id, key string
}

func (c *corrCtx) Value(key any) any {
	if key == (corrKeyT{}) {
		return c
	}
	return c.Context.Value(key)
}

// CorrelationID returns the correlation id of the invocation in ctx, or ""
// outside Correlation.
func CorrelationID(ctx context.Context) string {
	if c, ok := ctx.Value(corrKeyT{}).(*corrCtx); ok {
		return c.id
	}
	return ""
}

func safeID(s string) bool {
	if s == "" || len(s) > maxCorrelationID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '@' || c == '+' || c == '=':
		default:
			return false
		}
	}
	return true
}

// extString returns e's extension name in its canonical string form.
func extString(e *event.Event, name string) (string, bool) {
	v, ok := e.Extensions()[name]
	if !ok {
		return "", false
	}
	s, err := types.Format(v)
	if err != nil {
		return "", false
	}
	return s, true
}
