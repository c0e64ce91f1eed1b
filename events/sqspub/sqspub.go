package sqspub

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/internal/awserr"
	"github.com/fnkit/fnkit/internal/awsfifo"
	"github.com/fnkit/fnkit/internal/busbatch"
)

// Limits of SQS that the publisher checks before sending.
const (
	// MaxBatch is the most entries one SendMessageBatch call may carry.
	MaxBatch = 10
	// MaxMessageSize is SQS's largest message (and batch) in bytes.
	MaxMessageSize = 1 << 20
)

// Errors of the package; match them with errors.Is.
var (
	// ErrTooLarge matches an event whose message exceeds the size limit.
	ErrTooLarge = errors.New("sqspub: message too large")
	// ErrInvalidMessage matches an event whose message SQS would refuse
	// for its characters.
	ErrInvalidMessage = errors.New("sqspub: message has characters SQS does not allow")
	// ErrInvalidKey matches an event whose message group or deduplication
	// id is missing or not one SQS accepts.
	ErrInvalidKey = errors.New("sqspub: invalid message group or deduplication id")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("sqspub: publisher is closed")
)

// API is the part of the SQS client the publisher uses; *sqs.Client
// implements it.
type API interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// KeyFunc derives a message group or deduplication id from an event; an
// empty result means the event has none.
type KeyFunc func(e *event.Event) string

// Extension returns a KeyFunc reading the named extension attribute (as
// its string form).
func Extension(name string) KeyFunc { return awsfifo.Extension(name) }

// Subject returns a KeyFunc reading the event's subject.
func Subject() KeyFunc { return (*event.Event).Subject }

// Source returns a KeyFunc reading the event's source.
func Source() KeyFunc { return (*event.Event).Source }

// ID returns a KeyFunc reading the event's id.
func ID() KeyFunc { return (*event.Event).ID }

// DefaultGroupID is the group of a FIFO message unless WithGroupID says
// otherwise: the partitionkey extension (CloudEvents partitioning), else
// the source; a value that is not a valid group id (too long, spaces or
// characters other than ASCII letters, digits and punctuation) is
// replaced by its hex SHA-256, so every valid event has a group.
func DefaultGroupID(e *event.Event) string { return awsfifo.GroupID(e) }

// DefaultDeduplicationID is the deduplication id of a FIFO message unless
// WithDeduplicationID says otherwise: the hex SHA-256 of the source and
// id, the pair that identifies a CloudEvent, so a republished event is
// dropped by the queue within its deduplication interval.
func DefaultDeduplicationID(e *event.Event) string { return awsfifo.DeduplicationID(e) }

type config struct {
	batch   int
	maxSize int
	keys    awsfifo.Keys
	optFns  []func(*sqs.Options)
}

// Option configures a Publisher.
type Option func(*config)

// WithBatchSize sets how many messages one SendMessageBatch call carries,
// 1 to MaxBatch (default MaxBatch). New refuses other values.
func WithBatchSize(n int) Option { return func(c *config) { c.batch = n } }

// WithMaxMessageSize lowers the size limit checked before sending, in
// bytes (default and most MaxMessageSize, for queues configured with a
// smaller MaximumMessageSize). New refuses values outside 1 to
// MaxMessageSize.
func WithMaxMessageSize(n int) Option { return func(c *config) { c.maxSize = n } }

// WithGroupID sets how a FIFO queue's message group id is taken from an
// event (default DefaultGroupID). On a standard queue it sets the group
// for fair queueing; an event for which fn returns "" then has none.
func WithGroupID(fn KeyFunc) Option {
	return func(c *config) { c.keys.Group, c.keys.GroupGiven = fn, true }
}

// WithDeduplicationID sets how a FIFO queue's deduplication id is taken
// from an event (default DefaultDeduplicationID); nil sends none, for
// queues with content-based deduplication. New refuses it for a standard
// queue.
func WithDeduplicationID(fn KeyFunc) Option {
	return func(c *config) { c.keys.Dedup, c.keys.DedupGiven = fn, true }
}

// WithClientOptions passes per-call options to every SendMessageBatch
// call (for example to change the retryer).
func WithClientOptions(fns ...func(*sqs.Options)) Option {
	return func(c *config) { c.optFns = append(c.optFns, fns...) }
}

// Publisher publishes CloudEvents to one SQS queue. Create it with New.
type Publisher struct {
	api    API
	optFns []func(*sqs.Options)
	queue  awsfifo.Target
	b      *busbatch.Publisher[awsfifo.Message]
}

// New returns a Publisher sending to the queue at queueURL through api
// (an *sqs.Client). A queue URL ending in ".fifo" is a FIFO queue.
func New(api API, queueURL string, opts ...Option) (*Publisher, error) {
	if api == nil {
		return nil, errors.New("sqspub: New needs an SQS client")
	}
	if queueURL == "" {
		return nil, errors.New("sqspub: New needs a queue URL")
	}
	cfg := config{batch: MaxBatch, maxSize: MaxMessageSize}
	for _, o := range opts {
		o(&cfg)
	}
	p := &Publisher{api: api, optFns: cfg.optFns, queue: target(queueURL, cfg.maxSize, cfg.keys)}
	var err error
	p.b, err = busbatch.New(busbatch.Config[awsfifo.Message]{Name: "sqspub", Closed: ErrClosed, Batch: cfg.batch, MaxBatch: MaxBatch,
		Bytes: MaxMessageSize, Encode: p.encode, Send: p.send})
	if err != nil {
		return nil, err
	}
	if cfg.maxSize < 1 || cfg.maxSize > MaxMessageSize {
		return nil, fmt.Errorf("sqspub: maximum message size %d is not between 1 and %d bytes", cfg.maxSize, MaxMessageSize)
	}
	if err := p.queue.Setup(); err != nil {
		return nil, err
	}
	return p, nil
}

// target is the queue at url as awsfifo sees it.
func target(url string, maxSize int, keys awsfifo.Keys) awsfifo.Target {
	return awsfifo.Target{Pkg: "sqspub", Kind: "queue", Address: "a URL", Name: url,
		ErrInvalidKey: ErrInvalidKey, ErrTooLarge: ErrTooLarge, MaxSize: maxSize, Keys: keys}
}

// Publish sends events to the queue; see events.Publisher for the
// contract and the package doc for batching and error classes.
func (p *Publisher) Publish(ctx context.Context, evs ...event.Event) error {
	return p.b.Publish(ctx, evs)
}

// send makes one SendMessageBatch call. It reports failed entries through
// fail and returns an error only when the call failed as a whole.
func (p *Publisher) send(ctx context.Context, batch []awsfifo.Message, fail func(int, error)) error {
	in := &sqs.SendMessageBatchInput{QueueUrl: &p.queue.Name, Entries: make([]types.SendMessageBatchRequestEntry, len(batch))}
	for j := range batch {
		id := busbatch.ID(j)
		body, group, dedup := batch[j].Fields()
		in.Entries[j] = types.SendMessageBatchRequestEntry{Id: &id, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: dedup}
	}
	out, err := p.api.SendMessageBatch(ctx, in, p.optFns...)
	if err != nil {
		return classify(fmt.Errorf("sqspub: SendMessageBatch of %d messages: %w", len(batch), err), err)
	}
	busbatch.Match(len(batch), out.Successful, func(s types.SendMessageBatchResultEntry) *string { return s.Id },
		out.Failed, func(f types.BatchResultErrorEntry) (*string, error) { return f.Id, entryError(f) },
		func(j int) error {
			return handler.Retryable(fmt.Errorf("sqspub: SendMessageBatch answered nothing for entry %d", j))
		}, fail)
	return nil
}

// encode checks one event and builds its message.
func (p *Publisher) encode(e *event.Event) (awsfifo.Message, int, error) {
	m, err := p.queue.Encode(e)
	if err != nil {
		return m, 0, err
	}
	if bad := invalidChar(m.Body); bad >= 0 {
		return awsfifo.Message{}, 0, handler.Permanent(fmt.Errorf("%w: byte offset %d of the message", ErrInvalidMessage, bad))
	}
	return m, len(m.Body), nil
}

// CheckKey reports, as a permanent error matching ErrInvalidKey, whether
// key is not a message group or deduplication id SQS accepts: 1 to 128
// characters, each a letter, digit or ASCII punctuation. what names the
// id in the error; optional allows the empty key.
func CheckKey(what, key string, optional bool) error {
	t := target("", 0, awsfifo.Keys{})
	return t.CheckKey(what, key, optional)
}

// invalidChar returns the offset of the first character SQS refuses in a
// message (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD |
// #x10000 to #x10FFFF), or -1. body is JSON, so control characters are
// escaped already and only U+FFFE and U+FFFF (EF BF BE, EF BF BF) can
// appear; invalid UTF-8 never does (data that is not UTF-8 is base64).
func invalidChar(body string) int {
	off := 0
	for {
		i := strings.Index(body[off:], "\xef\xbf")
		if i < 0 {
			return -1
		}
		j := off + i
		if j+2 < len(body) && (body[j+2] == 0xbe || body[j+2] == 0xbf) {
			return j
		}
		off = j + 2
	}
}

// Close waits for the Publish calls in flight; later calls fail with
// ErrClosed. The publisher buffers nothing, so there is nothing else to
// flush.
func (p *Publisher) Close() error {
	p.b.Close()
	return nil
}

// throttleCodes are the error codes with which SQS (and KMS behind it)
// says to slow down.
var throttleCodes = map[string]bool{
	"RequestThrottled": true, "ThrottlingException": true, "Throttling": true, "KmsThrottled": true,
	"KMS.ThrottlingException": true, "TooManyRequestsException": true, "OverLimit": true,
	"AWS.SimpleQueueService.RequestThrottled": true,
}

// retryCodes are client-fault codes that still say "try again".
var retryCodes = map[string]bool{
	"InternalError": true, "InternalFailure": true, "ServiceUnavailable": true, "RequestTimeout": true,
	"AWS.SimpleQueueService.ServiceUnavailable": true,
}

// classify gives err (wrapping the SDK's error cause) fnkit's class.
func classify(err, cause error) error {
	return awserr.Classify(err, cause, throttleCodes, retryCodes)
}

// entryError classifies one refused entry of a batch.
func entryError(f types.BatchResultErrorEntry) error {
	code, msg := busbatch.Deref(f.Code), busbatch.Deref(f.Message)
	return busbatch.Refused(fmt.Errorf("sqspub: queue refused the message: %s: %s", code, msg), code, throttleCodes, retryCodes, !f.SenderFault)
}
