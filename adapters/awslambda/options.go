package awslambda

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
)

// DefaultConcurrency is how many records of an SQS standard queue batch
// are handled at once unless WithConcurrency says otherwise. Streams
// (Kinesis, DynamoDB) and FIFO message groups default to one at a time.
const DefaultConcurrency = 10

// DefaultMaxPayloadBytes is the default payload limit: 6 MiB, Lambda's
// own limit for synchronous invocations. Larger payloads fail as invalid
// input without being decoded.
const DefaultMaxPayloadBytes = 6 << 20

// DefaultInvokeType is the CloudEvent type of a direct invocation whose
// payload is not a CloudEvent, unless WithInvokeType says otherwise.
const DefaultInvokeType = "fnkit.aws.invoke"

// Option configures a Function made by New or NewHTTP.
type Option func(*config)

type config struct {
	trigger     events.AWSTrigger
	concurrency int
	streamConc  int
	maxPayload  int
	deadLetter  events.Publisher
	httpHandler http.Handler
	httpOpts    []httpserver.Option
	invokeType  string
	sigterm     []func()
	noDirect    bool
	logger      *slog.Logger
}

// WithTrigger pins the trigger: every payload is decoded as t, and a
// payload of another shape fails with an error saying so, instead of
// being detected (see events.DetectAWS). It panics for events.AWSUnknown.
func WithTrigger(t events.AWSTrigger) Option {
	if t <= events.AWSUnknown || t > events.AWSDirect {
		panic(fmt.Sprintf("awslambda: WithTrigger(%v): not a trigger", t))
	}
	return func(c *config) { c.trigger = t }
}

// WithConcurrency bounds how many records of one SQS standard queue batch
// (and how many FIFO message groups) are handled at once; the default is
// DefaultConcurrency. It panics if n < 1.
func WithConcurrency(n int) Option {
	if n < 1 {
		panic("awslambda: WithConcurrency needs n >= 1")
	}
	return func(c *config) { c.concurrency = n }
}

// WithStreamConcurrency bounds how many records of one Kinesis or DynamoDB
// Streams batch are handled at once. The default, 1, handles them in
// order and stops at the first failure, which (with its successors) is
// delivered again; with n > 1 every record is handled and the response
// reports from the lowest failed sequence number. It panics if n < 1.
func WithStreamConcurrency(n int) Option {
	if n < 1 {
		panic("awslambda: WithStreamConcurrency needs n >= 1")
	}
	return func(c *config) { c.streamConc = n }
}

// WithMaxPayloadBytes sets the payload limit (DefaultMaxPayloadBytes). It
// panics if n < 1.
func WithMaxPayloadBytes(n int) Option {
	if n < 1 {
		panic("awslambda: WithMaxPayloadBytes needs n >= 1")
	}
	return func(c *config) { c.maxPayload = n }
}

// WithDeadLetter sends records of event triggers (queues, streams,
// notifications) that fail for good — invalid input or a permanent
// failure — to p (through events.DeadLetter), and then counts them as
// handled, so Lambda does not retry them. If publishing to p fails, the
// record is reported failed and retried. Without a dead-letter publisher
// such records are reported failed like any other: never dropped. Direct
// and HTTP invocations answer their caller instead. It panics if p is nil.
func WithDeadLetter(p events.Publisher) Option {
	if p == nil {
		panic("awslambda: WithDeadLetter(nil)")
	}
	return func(c *config) { c.deadLetter = p }
}

// WithHTTPHandler serves HTTP triggers (API Gateway v1 and v2, ALB,
// function URLs) with h instead of the event handler behind
// httpserver.New. It panics if h is nil.
func WithHTTPHandler(h http.Handler) Option {
	if h == nil {
		panic("awslambda: WithHTTPHandler(nil)")
	}
	return func(c *config) { c.httpHandler = h }
}

// WithHTTPOptions configures the httpserver.Handler that serves HTTP
// triggers for the event handler given to New (ignored with
// WithHTTPHandler and NewHTTP).
func WithHTTPOptions(opts ...httpserver.Option) Option {
	return func(c *config) { c.httpOpts = append(c.httpOpts, opts...) }
}

// WithInvokeType sets the CloudEvent type of direct invocations whose
// payload is not a CloudEvent (DefaultInvokeType). It panics if t is
// empty.
func WithInvokeType(t string) Option {
	if t == "" {
		panic("awslambda: WithInvokeType needs a non-empty type")
	}
	return func(c *config) { c.invokeType = t }
}

// WithoutDirectInvoke refuses payloads of no known trigger shape (and
// structured CloudEvents) instead of handling them as direct invocations.
func WithoutDirectInvoke() Option {
	return func(c *config) { c.noDirect = true }
}

// WithSIGTERM makes Start ask Lambda for SIGTERM before the execution
// environment shuts down and run fns then (flush telemetry, close
// stores), through aws-lambda-go's WithEnableSIGTERM.
func WithSIGTERM(fns ...func()) Option {
	return func(c *config) { c.sigterm = append(c.sigterm, fns...) }
}

// WithLogger sets the logger of failed records (a batch response names
// only their ids): retryable failures at level Error, the others at Warn,
// with the trigger, the record's index and id, the CloudEvent id and
// type, the class and the error. The default is slog.Default() at the
// time of the failure.
func WithLogger(l *slog.Logger) Option {
	if l == nil {
		panic("awslambda: WithLogger(nil)")
	}
	return func(c *config) { c.logger = l }
}

func newConfig(opts []Option) config {
	c := config{concurrency: DefaultConcurrency, streamConc: 1, maxPayload: DefaultMaxPayloadBytes, invokeType: DefaultInvokeType}
	for _, o := range opts {
		o(&c)
	}
	return c
}
