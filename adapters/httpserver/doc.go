// Package httpserver runs a handler.Handler on plain net/http: on a laptop,
// in a container, or behind any HTTP front end.
//
// New adapts a Handler to an http.Handler. It accepts POST requests in
// every content mode of the CloudEvents HTTP binding:
//
//   - binary: attributes in ce-* headers (percent-decoded), data in the
//     body, datacontenttype from Content-Type;
//   - structured: one event as application/cloudevents+json;
//   - batch: application/cloudevents-batch+json, a JSON array of events,
//     each handled in order and on its own;
//   - plain: a request without CloudEvents headers (a JSON POST from any
//     client) becomes an event whose data is the body, whose id is the
//     Idempotency-Key header or a fresh id, whose source is the request
//     path, and whose type is DefaultPlainType (see WithPlainType).
//
// A reply goes back in the request's mode: structured for structured
// requests, binary (ce-* headers, data as the body) for binary and plain
// ones, so a plain client just reads the body. For a batch, the replies go
// back as a batch.
//
// # Status codes
//
// Every failure is answered with an RFC 9457 application/problem+json body.
// Client errors (4xx) say what was wrong in "detail" and, for fields,
// "errors"; server errors (5xx) never include internal error text, which is
// logged instead (see WithLogger).
//
//	reply                                   200 OK, the reply event
//	no reply                                204 No Content
//	invalid input (bad event, bad data)     400 Bad Request
//	method other than POST                  405 Method Not Allowed (Allow: POST)
//	body over the limit (WithMaxBodyBytes)  413 Content Too Large
//	unsupported event format or data type   415 Unsupported Media Type
//	permanent failure                       422 Unprocessable Content
//	throttled                               429 Too Many Requests (+ Retry-After)
//	retryable failure (any plain error)     500 Internal Server Error
//	deadline exceeded (WithTimeout)         504 Gateway Timeout
//
// 4xx other than 429 tell senders such as Knative and Pub/Sub not to retry;
// 429 and 5xx ask for a retry. A batch with failures is answered with the
// status of its first retryable failure, or else of its first failure, and
// a "results" member giving each event's status; if every event succeeds
// the answer is 200 with the batch of replies.
//
// # Serving
//
// Serve and ListenAndServe run any http.Handler with safe defaults: read
// header, read and idle timeouts, a health endpoint (DefaultHealthPath), one
// access-log line per request through log/slog (never bodies, queries or
// other headers), and a lame-duck drain when the context ends — or, for
// ListenAndServe, on SIGTERM or SIGINT:
//
//   - for the drain delay (DefaultDrainDelay, 3 s) the server keeps
//     accepting and serving, answers health checks with 503 and every
//     response with "Connection: close", so load balancers and clients
//     move away while nothing they send is lost;
//   - then it takes the connections the kernel has already queued (on
//     Linux), closes the listener, waits until every request that reached
//     it has been answered, and closes the idle connections, all within the
//     grace period (DefaultGracePeriod, 6 s); requests still running then
//     are cut off and Serve returns ErrShutdownTimeout;
//   - a second signal (Ctrl-C twice) stops at once.
//
// The two durations fit inside Cloud Run's 10 s between SIGTERM and
// SIGKILL, and Kubernetes' and Knative's 30 s. They are options
// (WithDrainDelay, WithGracePeriod) and environment variables read by
// ServerOptionsFromEnv (FNKIT_DRAIN_DELAY, FNKIT_GRACE_PERIOD). The log
// records "draining" and "drained", with the requests served during the
// drain, the connections closed and the requests cut off.
//
// A handler chain that starts with middleware.DefaultStack (or
// middleware.Logging) logs one line per invocation, and that line takes
// the access log's place (see handler.AccessLog): it carries the method
// and path, and the access log leaves the request out, so a request is
// logged once. Requests that never reach the handler (a wrong path, 405,
// a broken CloudEvent, a body over the limit, GET routes of your own)
// keep their access-log line.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/hello],
// [github.com/fnkit/fnkit/examples/http-api].
package httpserver
