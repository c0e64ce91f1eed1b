// Package handler is the core port of fnkit: business logic written once as
// a Handler over CloudEvents, run unchanged by any adapter (net/http, AWS
// Lambda, Google Cloud Functions, Knative).
//
// Most functions are typed handlers: Typed turns
// func(ctx, In) (Out, error) into a Handler that decodes the event's data
// into In by its content type, validates it with `validate` struct tags,
// and replies with Out. TypedNoReply does the same for func(ctx, In) error.
//
// Errors are portable. A handler returns plain Go errors, optionally
// classified with InvalidInput, Permanent, Throttled or Retryable; ClassOf
// tells an adapter the class of any error, and each adapter maps classes to
// its platform (HTTP status codes, Lambda batch item failures, retries).
// Unclassified errors are retryable, so nothing is dropped by accident.
//
// Adapters put an Invocation (platform, request id, deadline, attempt, cold
// start) in the context; read it with InvocationFrom.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/hello],
// [github.com/fnkit/fnkit/examples/http-api],
// [github.com/fnkit/fnkit/examples/queue-worker].
package handler
