package handler

import (
	"context"
	"time"
)

// Platform names used in Invocation.Platform by fnkit's adapters.
const (
	PlatformHTTP           = "http"
	PlatformAWSLambda      = "aws-lambda"
	PlatformCloudFunctions = "gcp-cloud-functions"
	PlatformKnative        = "knative"
	PlatformAzureFunctions = "azure-functions"
	PlatformTest           = "test"
)

// Invocation describes the current invocation. Adapters put it in the
// context before calling a Handler; handlers and middleware read it with
// InvocationFrom.
type Invocation struct {
	// Platform names the adapter, for example PlatformHTTP.
	Platform string
	// RequestID is the platform's id of this request or invocation (the
	// Lambda request id, an HTTP request id); it differs from the event id.
	RequestID string
	// Deadline is when the platform stops waiting; zero if none.
	Deadline time.Time
	// Attempt counts deliveries of this event, from 1, where the platform
	// tells (SQS ApproximateReceiveCount, Pub/Sub delivery attempt); zero
	// if unknown.
	Attempt int
	// ColdStart is true for the first invocation served by this process.
	ColdStart bool
	// Sync is true when a caller is waiting for the answer: an HTTP
	// request, a direct (request-response) invocation. Queue and stream
	// deliveries are not: the platform redelivers instead.
	Sync bool
	// Function identifies the function on its platform: the Lambda
	// function ARN, the Cloud Run or Knative service; empty if unknown.
	Function string
	// TraceHeader is the platform's trace header for this invocation, for
	// tracing middleware: AWS X-Ray's X-Amzn-Trace-Id value on Lambda.
	TraceHeader string
	// Headers are the transport headers of an HTTP invocation, keyed as
	// net/http keys them (http.Header), read-only: where tracing
	// middleware finds traceparent, X-Cloud-Trace-Context or
	// X-Amzn-Trace-Id when the event carries no trace context. Nil
	// elsewhere.
	Headers map[string][]string
	// IDGenerated is true when the adapter made the event id up because
	// the request carried none (a plain HTTP POST without an
	// Idempotency-Key header): the id then identifies nothing the sender
	// could repeat, so the idempotency middleware treats the event as
	// having no key.
	IDGenerated bool
	// AccessLog is the adapter's access-log line for this request, nil
	// when the adapter writes none; a logging middleware claims it (see
	// AccessLog).
	AccessLog *AccessLog
}

type invocationKey struct{}

// WithInvocation returns a copy of ctx that carries inv. Adapters call it;
// inv must not be changed afterwards.
func WithInvocation(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// InvocationFrom returns the Invocation that an adapter put in ctx, and
// false if there is none.
func InvocationFrom(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(*Invocation)
	if !ok || inv == nil {
		return Invocation{}, false
	}
	return *inv, true
}
