package awslambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/internal/ids"
)

// Function is a Lambda function: it implements aws-lambda-go's
// lambda.Handler (Invoke), so lambda.Start, lambda.NewHandler and this
// package's Start can run it. Make it with New or NewHTTP. It is safe for
// concurrent invocations.
type Function struct {
	h      handler.Handler // nil for NewHTTP
	http   http.Handler    // nil: HTTP triggers are refused
	dl     *events.DeadLetter
	cfg    config
	served atomic.Bool
}

// New returns a Function that delivers every event of every trigger to h:
// each record of a batch as one CloudEvent (see the package
// documentation), direct invocations as one event, and HTTP requests
// through httpserver.New(h, WithHTTPOptions...) — or the handler of
// WithHTTPHandler. It panics if h is nil.
func New(h handler.Handler, opts ...Option) *Function {
	if h == nil {
		panic("awslambda: New(nil)")
	}
	f := &Function{h: h, cfg: newConfig(opts)}
	f.http = f.cfg.httpHandler
	if f.http == nil {
		f.http = httpserver.New(h, f.cfg.httpOpts...)
	}
	if f.cfg.deadLetter != nil {
		f.dl = events.NewDeadLetter(f.cfg.deadLetter)
	}
	return f
}

// NewHTTP returns a Function that serves HTTP triggers (API Gateway REST
// and HTTP APIs, ALB, function URLs) with h, any http.Handler; payloads of
// other triggers fail with ErrNotHTTP. It panics if h is nil.
func NewHTTP(h http.Handler, opts ...Option) *Function {
	if h == nil {
		panic("awslambda: NewHTTP(nil)")
	}
	return &Function{http: h, cfg: newConfig(opts)}
}

// Errors of Invoke, wrapped with detail; each is invalid input.
var (
	// ErrPayloadTooLarge is matched by the error for a payload over the
	// limit (WithMaxPayloadBytes).
	ErrPayloadTooLarge = errors.New("awslambda: payload too large")
	// ErrNotHTTP is matched by the error of a NewHTTP function given a
	// payload that is not an HTTP request.
	ErrNotHTTP = errors.New("awslambda: not an HTTP trigger payload")
	// ErrTrigger is matched by the error for a payload whose trigger is
	// refused: another shape than WithTrigger pinned, or a direct
	// invocation under WithoutDirectInvoke.
	ErrTrigger = errors.New("awslambda: unexpected trigger")
)

// Error types of a failed invocation: the errorType Lambda reports, which
// Step Functions Retry and Catch rules match (ErrorEquals).
const (
	ErrorTypeInvalidInput = "InvalidInput"
	ErrorTypePermanent    = "Permanent"
	ErrorTypeThrottled    = "Throttled"
	ErrorTypeRetryable    = "Retryable"
)

// ErrorType returns the Lambda errorType of err's class; for an error
// returned by Invoke, the errorType it carries.
func ErrorType(err error) string {
	var ie messages.InvokeResponse_Error
	if errors.As(err, &ie) {
		return ie.Type
	}
	switch handler.ClassOf(err) {
	case handler.ClassInvalidInput:
		return ErrorTypeInvalidInput
	case handler.ClassPermanent:
		return ErrorTypePermanent
	case handler.ClassThrottled:
		return ErrorTypeThrottled
	}
	return ErrorTypeRetryable
}

// invokeError is the error Invoke returns: aws-lambda-go reports a
// messages.InvokeResponse_Error as is, with our errorType.
func invokeError(err error) error {
	return messages.InvokeResponse_Error{Message: err.Error(), Type: ErrorType(err)}
}

// Info is what Lambda tells about the current invocation, beyond
// handler.Invocation. Read it with InfoFrom.
type Info struct {
	// RequestID is the Lambda request id (also handler.Invocation.RequestID).
	RequestID string
	// FunctionARN is the invoked function's ARN (with alias or version
	// if the caller named one).
	FunctionARN string
	// TraceHeader is the X-Ray trace header of this invocation
	// (Root=…;Parent=…;Sampled=…), from the x-amzn-trace-id context value,
	// which is correct with concurrent invocations.
	TraceHeader string
	// Trigger is the payload's trigger.
	Trigger events.AWSTrigger
	// Record is the original platform record of the event being handled
	// (one element of Records, for example), or the whole payload for
	// single-event triggers; nil for HTTP triggers.
	Record json.RawMessage
}

type infoKey struct{}

// InfoFrom returns the Info of the invocation ctx belongs to, and false
// outside a Function.
func InfoFrom(ctx context.Context) (Info, bool) {
	in, ok := ctx.Value(infoKey{}).(*Info)
	if !ok || in == nil {
		return Info{}, false
	}
	return *in, true
}

// invocation is the per-invocation state shared by its records.
type invocation struct {
	ctx  context.Context
	inv  handler.Invocation
	info Info
}

// recordCtx holds what one record's context carries, in one allocation.
type recordCtx struct {
	inv  handler.Invocation
	info Info
}

func (f *Function) begin(ctx context.Context, trig events.AWSTrigger) *invocation {
	in := &invocation{ctx: ctx}
	in.inv.Platform = handler.PlatformAWSLambda
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		in.inv.RequestID = lc.AwsRequestID
		in.info.FunctionARN = lc.InvokedFunctionArn
	}
	if d, ok := ctx.Deadline(); ok {
		in.inv.Deadline = d
	}
	if !f.served.Load() {
		in.inv.ColdStart = f.served.CompareAndSwap(false, true)
	}
	in.info.RequestID = in.inv.RequestID
	in.info.TraceHeader, _ = ctx.Value("x-amzn-trace-id").(string)
	in.info.Trigger = trig
	in.inv.Function = in.info.FunctionARN
	in.inv.TraceHeader = in.info.TraceHeader
	in.inv.Sync = trig.IsHTTP() || trig == events.AWSDirect || trig == events.AWSCloudEvent
	return in
}

// recordContext returns the context of one record.
func (in *invocation) recordContext(raw json.RawMessage, attempt int) context.Context {
	rc := &recordCtx{inv: in.inv, info: in.info}
	rc.inv.Attempt = attempt
	rc.info.Record = raw
	return handler.WithInvocation(context.WithValue(in.ctx, infoKey{}, &rc.info), &rc.inv)
}

// Invoke handles one Lambda payload and returns the function's result:
// the batch response for SQS, Kinesis and DynamoDB Streams, the HTTP
// response for HTTP triggers, the reply's data for a direct invocation,
// and null otherwise. A failed invocation's error is a
// messages.InvokeResponse_Error whose Type is ErrorType's (see the
// package documentation for when an invocation fails).
//
// Invoke copies payload first: aws-lambda-go reuses its buffer for the
// next invocation, and events (and InfoFrom's Record) point into it, yet
// a handler may keep them.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) <= f.cfg.maxPayload {
		payload = bytes.Clone(payload)
	}
	out, err := f.invoke(ctx, payload)
	if err != nil {
		return nil, invokeError(err)
	}
	return out, nil
}

func (f *Function) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > f.cfg.maxPayload {
		return nil, handler.InvalidInput(fmt.Errorf("%w: %d bytes, over the limit of %d", ErrPayloadTooLarge, len(payload), f.cfg.maxPayload))
	}
	trig, err := events.DetectAWS(payload)
	if err != nil && f.cfg.trigger == events.AWSUnknown {
		return nil, fmt.Errorf("awslambda: unrecognised payload: %w", err)
	}
	if f.cfg.trigger != events.AWSUnknown && trig != f.cfg.trigger && !(f.cfg.trigger.IsHTTP() && trig.IsHTTP()) {
		return nil, handler.InvalidInput(fmt.Errorf("%w: the function takes %v payloads, this one is %v", ErrTrigger, f.cfg.trigger, describe(trig, err)))
	}
	if trig.IsHTTP() {
		if f.http == nil {
			return nil, handler.InvalidInput(fmt.Errorf("%w: %v", ErrNotHTTP, trig))
		}
		in := f.begin(ctx, trig)
		ctx = handler.WithInvocation(context.WithValue(ctx, infoKey{}, &in.info), &in.inv)
		switch trig {
		case events.AWSAPIGatewayV1:
			return serveAPIGatewayV1(ctx, f.http, payload)
		case events.AWSALB:
			return serveALB(ctx, f.http, payload)
		}
		return serveAPIGatewayV2(ctx, f.http, payload)
	}
	if f.h == nil {
		return nil, handler.InvalidInput(fmt.Errorf("%w: this function serves HTTP only, the payload is %v", ErrNotHTTP, trig))
	}
	in := f.begin(ctx, trig)
	switch trig {
	case events.AWSSQS:
		recs, err := events.FromSQS(payload)
		if err != nil {
			return nil, err
		}
		return f.queue(in, recs)
	case events.AWSKinesis, events.AWSDynamoDB:
		var recs []events.AWSRecord
		if trig == events.AWSKinesis {
			recs, err = events.FromKinesis(payload)
		} else {
			recs, err = events.FromDynamoDB(payload)
		}
		if err != nil {
			return nil, err
		}
		return f.stream(in, recs)
	case events.AWSSNS, events.AWSS3, events.AWSKafka, events.AWSCloudWatchLogs:
		var recs []events.AWSRecord
		switch trig {
		case events.AWSSNS:
			recs, err = events.FromSNS(payload)
		case events.AWSS3:
			recs, err = events.FromS3(payload)
		case events.AWSKafka:
			recs, err = events.FromKafka(payload)
		default:
			recs, err = events.FromCloudWatchLogs(payload)
		}
		if err != nil {
			return nil, err
		}
		return f.all(in, recs)
	case events.AWSEventBridge, events.AWSS3EventBridge:
		rec, err := events.FromEventBridge(payload)
		if err != nil {
			return nil, err
		}
		return f.all(in, []events.AWSRecord{rec})
	}
	if f.cfg.noDirect {
		return nil, handler.InvalidInput(fmt.Errorf("%w: the payload is of no known trigger shape (direct invocations are refused)", ErrTrigger))
	}
	return f.direct(in, trig, payload)
}

func describe(t events.AWSTrigger, err error) string {
	if err != nil {
		return "unrecognised (" + err.Error() + ")"
	}
	return t.String()
}

// all handles single-event triggers and batches without partial batch
// responses: every record is handled; the invocation fails with the first
// failure, so Lambda retries (or sends to its on-failure destination).
func (f *Function) all(in *invocation, recs []events.AWSRecord) ([]byte, error) {
	errs := f.run(in, recs, f.cfg.concurrency)
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("awslambda: %v record %d of %d: %w", in.info.Trigger, i, len(recs), err)
		}
	}
	return nullResult, nil
}

var nullResult = []byte("null")

// handle runs record i and applies the error table; a failure is logged
// with the record's place, id and class, since a batch response carries
// only ids.
func (f *Function) handle(in *invocation, i int, rec *events.AWSRecord) error {
	ctx := in.recordContext(rec.Raw, rec.Attempt)
	err := rec.Err
	if err == nil {
		_, err = handler.Call(ctx, f.h, rec.Event)
	}
	if err == nil {
		return nil
	}
	if f.dl != nil && events.Wants(err) {
		derr := f.dl.Send(ctx, rec.Event, err)
		if derr == nil {
			f.logFailure(ctx, in, i, rec, err, "record dead-lettered")
			return nil
		}
		err = handler.Retryable(fmt.Errorf("%w (handler failed: %w)", derr, err))
	}
	f.logFailure(ctx, in, i, rec, err, "record failed")
	return err
}

func (f *Function) logFailure(ctx context.Context, in *invocation, i int, rec *events.AWSRecord, err error, msg string) {
	logger := f.cfg.logger
	if logger == nil {
		logger = slog.Default()
	}
	level := slog.LevelWarn
	if handler.ClassOf(err).Retry() {
		level = slog.LevelError
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("trigger", in.info.Trigger.String()), slog.Int("record", i),
		slog.String("class", handler.ClassOf(err).String()), slog.String("error", err.Error()), slog.String("request_id", in.inv.RequestID)}
	if rec.ItemID != "" {
		attrs = append(attrs, slog.String("item_id", rec.ItemID))
	}
	if rec.Event.Context != nil {
		attrs = append(attrs, slog.String("ce_id", rec.Event.ID()), slog.String("ce_type", rec.Event.Type()))
	}
	var p *handler.PanicError
	if errors.As(err, &p) {
		attrs = append(attrs, slog.String("stack", string(p.Stack)))
	}
	logger.LogAttrs(ctx, level, msg, attrs...)
}

// direct handles a direct invocation: a structured CloudEvent, or any
// JSON as the data of an event.
func (f *Function) direct(in *invocation, trig events.AWSTrigger, payload []byte) ([]byte, error) {
	var e event.Event
	if trig == events.AWSCloudEvent {
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, handler.InvalidInputf("awslambda: the payload looks like a structured CloudEvent but does not decode: %w", err)
		}
		if err := e.Validate(); err != nil {
			return nil, handler.InvalidInputf("awslambda: the payload is an invalid structured CloudEvent: %w", err)
		}
	} else {
		e = f.invokeEvent(in, payload)
	}
	ctx := in.recordContext(payload, 0)
	reply, err := handler.Call(ctx, f.h, e)
	if err != nil {
		return nil, err
	}
	if reply == nil {
		return nullResult, nil
	}
	if trig == events.AWSCloudEvent {
		b, err := json.Marshal(reply)
		if err != nil {
			return nil, fmt.Errorf("awslambda: encoding the reply event: %w", err)
		}
		return b, nil
	}
	return replyResult(reply)
}

func (f *Function) invokeEvent(in *invocation, payload []byte) event.Event {
	ec := &event.EventContextV1{Type: f.cfg.invokeType}
	ec.ID = in.inv.RequestID
	if ec.ID == "" {
		ec.ID = ids.Next()
	}
	src := in.info.FunctionARN
	if src == "" {
		src = "aws:lambda"
	}
	if u := types.ParseURIRef(src); u != nil {
		ec.Source = *u
	} else {
		ec.Source = *types.ParseURIRef("aws:lambda")
	}
	ct := "application/json"
	ec.DataContentType = &ct
	return event.Event{Context: ec, DataEncoded: payload}
}

// replyResult is the function result of a reply: its data if JSON, else
// the data as a JSON string (text) or base64 JSON string (binary).
func replyResult(reply *event.Event) ([]byte, error) {
	data := reply.Data()
	if len(data) == 0 {
		return nullResult, nil
	}
	ct := reply.DataContentType()
	switch {
	case ctJSON(ct):
		return data, nil
	case ctText(ct):
		return json.Marshal(string(data))
	}
	return json.Marshal(data)
}

func ctMedia(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

func ctJSON(ct string) bool {
	m := ctMedia(ct)
	return m == "application/json" || m == "text/json" || strings.HasSuffix(m, "+json")
}

func ctText(ct string) bool {
	m := ctMedia(ct)
	return strings.HasPrefix(m, "text/") || strings.HasSuffix(m, "+xml") || m == "application/xml" ||
		m == "application/javascript" || m == "application/x-www-form-urlencoded" || m == "image/svg+xml"
}
