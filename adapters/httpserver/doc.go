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
// other headers), and graceful shutdown: when the context ends — or, for
// ListenAndServe, on SIGTERM or SIGINT — the server stops accepting
// connections, answers health checks with 503, and lets requests in flight
// finish within the grace period (DefaultGracePeriod).
package httpserver
