package eventbridgepub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/internal/awserr"
	"github.com/fnkit/fnkit/internal/busbatch"
)

// Limits of EventBridge that the publisher checks before sending.
const (
	// MaxBatch is the most entries one PutEvents call may carry.
	MaxBatch = 10
	// MaxEntrySize is EventBridge's largest entry (and request) in bytes.
	MaxEntrySize = 256 << 10
	// MaxDetailType is the longest detail-type, in characters.
	MaxDetailType = 128
)

// Errors of the package; match them with errors.Is.
var (
	// ErrTooLarge matches an event whose entry exceeds the size limit.
	ErrTooLarge = errors.New("eventbridgepub: entry too large")
	// ErrInvalidEntry matches an event that EventBridge would refuse for
	// its source or type.
	ErrInvalidEntry = errors.New("eventbridgepub: invalid entry")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("eventbridgepub: publisher is closed")
)

// API is the part of the EventBridge client the publisher uses;
// *eventbridge.Client implements it.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

type config struct {
	batch     int
	maxSize   int
	resources func(e *event.Event) []string
	optFns    []func(*eventbridge.Options)
}

// Option configures a Publisher.
type Option func(*config)

// WithBatchSize sets how many entries one PutEvents call carries, 1 to
// MaxBatch (default MaxBatch). New refuses other values.
func WithBatchSize(n int) Option { return func(c *config) { c.batch = n } }

// WithMaxEntrySize sets the size limit of one entry and of one call
// checked before sending, in bytes (default MaxEntrySize, EventBridge's
// limit). Raise it only for an endpoint that takes larger entries; New
// refuses values below 1.
func WithMaxEntrySize(n int) Option { return func(c *config) { c.maxSize = n } }

// WithResources sets how an entry's Resources are taken from an event
// (default SubjectARN); fn may return nil.
func WithResources(fn func(e *event.Event) []string) Option {
	return func(c *config) { c.resources = fn }
}

// WithClientOptions passes per-call options to every PutEvents call (for
// example to change the retryer).
func WithClientOptions(fns ...func(*eventbridge.Options)) Option {
	return func(c *config) { c.optFns = append(c.optFns, fns...) }
}

// SubjectARN is the default of WithResources: the subject, if it is an
// ARN (begins with "arn:"), else nothing.
func SubjectARN(e *event.Event) []string {
	if s := e.Subject(); strings.HasPrefix(s, "arn:") {
		return []string{s}
	}
	return nil
}

// Publisher publishes CloudEvents to one event bus. Create it with New.
type Publisher struct {
	api API
	bus string
	cfg config
	b   *busbatch.Publisher[types.PutEventsRequestEntry]
}

// New returns a Publisher putting events on the bus named (or with the
// ARN) bus through api (an *eventbridge.Client); "" is the account's
// default bus.
func New(api API, bus string, opts ...Option) (*Publisher, error) {
	if api == nil {
		return nil, errors.New("eventbridgepub: New needs an EventBridge client")
	}
	p := &Publisher{api: api, bus: bus, cfg: config{batch: MaxBatch, maxSize: MaxEntrySize, resources: SubjectARN}}
	for _, o := range opts {
		o(&p.cfg)
	}
	var err error
	p.b, err = busbatch.New(busbatch.Config[types.PutEventsRequestEntry]{Name: "eventbridgepub", Closed: ErrClosed,
		Batch: p.cfg.batch, MaxBatch: MaxBatch, Bytes: p.cfg.maxSize, Encode: p.encode, Send: p.send})
	if err != nil {
		return nil, err
	}
	if p.cfg.maxSize < 1 {
		return nil, fmt.Errorf("eventbridgepub: maximum entry size %d is below 1 byte", p.cfg.maxSize)
	}
	if p.cfg.resources == nil {
		p.cfg.resources = func(*event.Event) []string { return nil }
	}
	return p, nil
}

// Entry returns the PutEvents entry Publish sends for e (without the bus
// name), checked as Publish checks it, with its size as EventBridge
// counts it.
func (p *Publisher) Entry(e *event.Event) (types.PutEventsRequestEntry, int, error) {
	return p.encode(e)
}

// encode checks one event and builds its entry.
func (p *Publisher) encode(e *event.Event) (types.PutEventsRequestEntry, int, error) {
	if err := events.CheckEvent(e); err != nil {
		return types.PutEventsRequestEntry{}, 0, err
	}
	src, typ := e.Source(), e.Type()
	if strings.HasPrefix(src, "aws.") {
		return types.PutEventsRequestEntry{}, 0, handler.Permanent(fmt.Errorf("%w: source %q: sources beginning with \"aws.\" are reserved for AWS services", ErrInvalidEntry, src))
	}
	if n := utf8.RuneCountInString(typ); n > MaxDetailType {
		return types.PutEventsRequestEntry{}, 0, handler.Permanent(fmt.Errorf("%w: type of %d characters, more than the %d a detail-type may have", ErrInvalidEntry, n, MaxDetailType))
	}
	detail, err := events.StructuredJSON(e)
	if err != nil {
		return types.PutEventsRequestEntry{}, 0, handler.Permanent(fmt.Errorf("eventbridgepub: encode event: %w", err))
	}
	d := string(detail)
	req := types.PutEventsRequestEntry{Source: &src, DetailType: &typ, Detail: &d}
	size := len(src) + len(typ) + len(d)
	if t := e.Time(); !t.IsZero() {
		req.Time = &t
		size += 14
	}
	req.Resources = p.cfg.resources(e)
	for _, r := range req.Resources {
		size += len(r)
	}
	if size > p.cfg.maxSize {
		return types.PutEventsRequestEntry{}, 0, handler.Permanent(fmt.Errorf("%w: %d bytes, more than the %d-byte limit", ErrTooLarge, size, p.cfg.maxSize))
	}
	if p.bus != "" {
		req.EventBusName = &p.bus
	}
	return req, size, nil
}

// Publish puts events on the bus; see events.Publisher for the contract
// and the package doc for the mapping, batching and error classes.
func (p *Publisher) Publish(ctx context.Context, evs ...event.Event) error {
	return p.b.Publish(ctx, evs)
}

// send makes one PutEvents call. It reports failed entries through fail
// and returns an error only when the call failed as a whole.
func (p *Publisher) send(ctx context.Context, batch []types.PutEventsRequestEntry, fail func(int, error)) error {
	in := &eventbridge.PutEventsInput{Entries: batch[:len(batch):len(batch)]}
	out, err := p.api.PutEvents(ctx, in, p.cfg.optFns...)
	if err != nil {
		return classify(fmt.Errorf("eventbridgepub: PutEvents of %d entries: %w", len(batch), err), err)
	}
	for j := range batch {
		if j >= len(out.Entries) {
			fail(j, handler.Retryable(fmt.Errorf("eventbridgepub: PutEvents answered %d entries for %d", len(out.Entries), len(batch))))
			continue
		}
		r := out.Entries[j]
		if code := busbatch.Deref(r.ErrorCode); code != "" {
			fail(j, entryError(code, busbatch.Deref(r.ErrorMessage)))
		} else if busbatch.Deref(r.EventId) == "" {
			fail(j, handler.Retryable(fmt.Errorf("eventbridgepub: PutEvents answered neither an event id nor an error for entry %d", j)))
		}
	}
	return nil
}

// Close waits for the Publish calls in flight; later calls fail with
// ErrClosed. The publisher buffers nothing, so there is nothing else to
// flush.
func (p *Publisher) Close() error {
	p.b.Close()
	return nil
}

var throttleCodes = map[string]bool{
	"ThrottlingException": true, "Throttling": true, "TooManyRequestsException": true, "LimitExceededException": true,
}

var retryCodes = map[string]bool{
	"InternalFailure": true, "InternalException": true, "InternalError": true, "ServiceUnavailable": true,
	"ServiceUnavailableException": true, "RequestTimeout": true,
}

// classify gives err (wrapping the SDK's error cause) fnkit's class.
func classify(err, cause error) error {
	return awserr.Classify(err, cause, throttleCodes, retryCodes)
}

// entryError classifies one entry the bus refused.
func entryError(code, msg string) error {
	return busbatch.Refused(fmt.Errorf("eventbridgepub: bus refused the entry: %s: %s", code, msg), code, throttleCodes, retryCodes, false)
}
