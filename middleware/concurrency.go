package middleware

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// ErrConcurrencyLimit is matched by the throttled error of Concurrency.
var ErrConcurrencyLimit = errors.New("middleware: concurrency limit reached")

// Concurrency is a bulkhead: at most limit invocations run at once through
// it; an invocation beyond that does not wait, it fails at once with a
// throttled error matching ErrConcurrencyLimit (HTTP 429 with Retry-After,
// WithRetryAfter). Share one Concurrency middleware value among the
// handlers that share the limit. A limit below 1 panics. Reads
// WithRetryAfter.
func Concurrency(limit int, opts ...Option) handler.Middleware {
	if limit < 1 {
		panic("middleware: Concurrency: limit must be at least 1")
	}
	cfg := newConfig(opts)
	sem := make(chan struct{}, limit)
	full := handler.Throttled(fmt.Errorf("%w (%d in flight)", ErrConcurrencyLimit, limit), cfg.retryAfter)
	return func(next handler.Handler) handler.Handler {
		return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
			select {
			case sem <- struct{}{}:
			default:
				return nil, full
			}
			defer func() { <-sem }()
			return next.Handle(ctx, e)
		})
	}
}
