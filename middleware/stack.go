package middleware

import "github.com/fnkit/fnkit/handler"

// DefaultStack returns fnkit's recommended middleware in the recommended
// order, outermost first:
//
//	Logging → Tracing → Metrics → Timeout → Validate (with WithRules)
//
// Logging is outermost so that its line covers everything, including a
// span the tracer failed to export and the time the other layers take;
// Tracing comes next so that the log line carries the trace id; Metrics
// measures what the handler costs inside the trace; Timeout bounds only
// the handler's work; Validate rejects a bad envelope before user code.
// Put Correlation before it for correlation ids in the log line, and your
// own middleware (Retry, Concurrency, CircuitBreaker, Idempotency) after
// it:
//
//	h := handler.Chain(
//		middleware.DefaultStack(middleware.WithRules(middleware.AllowTypes("com.example.*"))),
//		middleware.Idempotency(store),
//	)(h)
//
// opts go to every middleware of the stack; each reads the options that
// concern it. Logging's line is the access log of the invocation: behind
// httpserver it carries the request's method and path and replaces the
// adapter's access-log line (handler.AccessLog), so a request is logged
// once, with no option to set.
func DefaultStack(opts ...Option) handler.Middleware {
	cfg := newConfig(opts)
	mw := []handler.Middleware{Logging(opts...), Tracing(opts...), Metrics(opts...), Timeout(opts...)}
	if len(cfg.rules) > 0 {
		mw = append(mw, Validate(cfg.rules...))
	}
	return handler.Chain(mw...)
}
