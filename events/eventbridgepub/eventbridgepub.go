package eventbridgepub

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/fnkit/fnkit/internal/awserr"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
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

	mu     sync.RWMutex // held shared by Publish, exclusively by Close
	closed bool
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
	if p.cfg.batch < 1 || p.cfg.batch > MaxBatch {
		return nil, fmt.Errorf("eventbridgepub: batch size %d is not between 1 and %d", p.cfg.batch, MaxBatch)
	}
	if p.cfg.maxSize < 1 {
		return nil, fmt.Errorf("eventbridgepub: maximum entry size %d is below 1 byte", p.cfg.maxSize)
	}
	if p.cfg.resources == nil {
		p.cfg.resources = func(*event.Event) []string { return nil }
	}
	return p, nil
}

// entry is one event ready to send.
type entry struct {
	index int
	req   types.PutEventsRequestEntry
	size  int
}

// Entry returns the PutEvents entry Publish sends for e (without the bus
// name), checked as Publish checks it, with its size as EventBridge
// counts it.
func (p *Publisher) Entry(e *event.Event) (types.PutEventsRequestEntry, int, error) {
	en, err := p.encode(0, e)
	return en.req, en.size, err
}

func (p *Publisher) encode(i int, e *event.Event) (entry, error) {
	if err := events.CheckEvent(e); err != nil {
		return entry{}, err
	}
	src, typ := e.Source(), e.Type()
	if strings.HasPrefix(src, "aws.") {
		return entry{}, handler.Permanent(fmt.Errorf("%w: source %q: sources beginning with \"aws.\" are reserved for AWS services", ErrInvalidEntry, src))
	}
	if n := utf8.RuneCountInString(typ); n > MaxDetailType {
		return entry{}, handler.Permanent(fmt.Errorf("%w: type of %d characters, more than the %d a detail-type may have", ErrInvalidEntry, n, MaxDetailType))
	}
	detail, err := events.StructuredJSON(e)
	if err != nil {
		return entry{}, handler.Permanent(fmt.Errorf("eventbridgepub: encode event: %w", err))
	}
	d := string(detail)
	en := entry{index: i, req: types.PutEventsRequestEntry{Source: &src, DetailType: &typ, Detail: &d}}
	en.size = len(src) + len(typ) + len(d)
	if t := e.Time(); !t.IsZero() {
		en.req.Time = &t
		en.size += 14
	}
	en.req.Resources = p.cfg.resources(e)
	for _, r := range en.req.Resources {
		en.size += len(r)
	}
	if en.size > p.cfg.maxSize {
		return entry{}, handler.Permanent(fmt.Errorf("%w: %d bytes, more than the %d-byte limit", ErrTooLarge, en.size, p.cfg.maxSize))
	}
	if p.bus != "" {
		en.req.EventBusName = &p.bus
	}
	return en, nil
}

// Publish puts events on the bus; see events.Publisher for the contract
// and the package doc for the mapping, batching and error classes.
func (p *Publisher) Publish(ctx context.Context, evs ...event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return handler.Permanent(ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("eventbridgepub: %w", err)
	}
	var fails []events.Failure
	fail := func(i int, err error) {
		f := events.Failure{Index: i, Err: err}
		if evs[i].Context != nil {
			f.ID, f.Source = evs[i].ID(), evs[i].Source()
		}
		fails = append(fails, f)
	}
	ready := make([]entry, 0, len(evs))
	for i := range evs {
		en, err := p.encode(i, &evs[i])
		if err != nil {
			fail(i, err)
			continue
		}
		ready = append(ready, en)
	}
	var stop error
	for len(ready) > 0 {
		n, total := 0, 0
		for n < len(ready) && n < p.cfg.batch && (n == 0 || total+ready[n].size <= p.cfg.maxSize) {
			total += ready[n].size
			n++
		}
		batch := ready[:n]
		ready = ready[n:]
		if stop == nil {
			if err := ctx.Err(); err != nil {
				stop = fmt.Errorf("eventbridgepub: not sent: %w", err)
			}
		}
		if stop != nil {
			for _, en := range batch {
				fail(en.index, stop)
			}
			continue
		}
		stop = p.send(ctx, batch, fail)
	}
	if len(fails) == 0 {
		return nil
	}
	sort.SliceStable(fails, func(a, b int) bool { return fails[a].Index < fails[b].Index })
	return &events.PublishError{Total: len(evs), Failures: fails}
}

// send makes one PutEvents call. It reports failed entries through fail
// and returns an error only when the call failed as a whole.
func (p *Publisher) send(ctx context.Context, batch []entry, fail func(int, error)) error {
	in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(batch))}
	for j := range batch {
		in.Entries[j] = batch[j].req
	}
	out, err := p.api.PutEvents(ctx, in, p.cfg.optFns...)
	if err != nil {
		err = classify(fmt.Errorf("eventbridgepub: PutEvents of %d entries: %w", len(batch), err), err)
		for _, en := range batch {
			fail(en.index, err)
		}
		return err
	}
	for j, en := range batch {
		if j >= len(out.Entries) {
			fail(en.index, handler.Retryable(fmt.Errorf("eventbridgepub: PutEvents answered %d entries for %d", len(out.Entries), len(batch))))
			continue
		}
		r := out.Entries[j]
		if code := deref(r.ErrorCode); code != "" {
			fail(en.index, entryError(code, deref(r.ErrorMessage)))
		} else if deref(r.EventId) == "" {
			fail(en.index, handler.Retryable(fmt.Errorf("eventbridgepub: PutEvents answered neither an event id nor an error for entry %d", j)))
		}
	}
	return nil
}

// Close waits for the Publish calls in flight; later calls fail with
// ErrClosed. The publisher buffers nothing, so there is nothing else to
// flush.
func (p *Publisher) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
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

func entryError(code, msg string) error {
	err := fmt.Errorf("eventbridgepub: bus refused the entry: %s: %s", code, msg)
	switch {
	case throttleCodes[code]:
		return handler.Throttled(err, 0)
	case retryCodes[code]:
		return handler.Retryable(err)
	}
	return handler.Permanent(err)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
