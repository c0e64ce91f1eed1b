package snspub

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/internal/awserr"
	"github.com/fnkit/fnkit/internal/awsfifo"
	"github.com/fnkit/fnkit/internal/busbatch"
)

// Limits of SNS that the publisher checks before sending.
const (
	// MaxBatch is the most entries one SendMessageBatch call may carry.
	MaxBatch = 10
	// MaxMessageSize is SNS's largest message (and batch) in bytes.
	MaxMessageSize = 256 << 10
)

// Errors of the package; match them with errors.Is.
var (
	// ErrTooLarge matches an event whose message exceeds the size limit.
	ErrTooLarge = errors.New("snspub: message too large")
	// ErrInvalidKey matches an event whose message group or deduplication
	// id is missing or not one SNS accepts.
	ErrInvalidKey = errors.New("snspub: invalid message group or deduplication id")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("snspub: publisher is closed")
)

// API is the part of the SNS client the publisher uses; *sns.Client
// implements it.
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
	PublishBatch(ctx context.Context, in *sns.PublishBatchInput, optFns ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
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
// dropped by the topic within its deduplication interval.
func DefaultDeduplicationID(e *event.Event) string { return awsfifo.DeduplicationID(e) }

type config struct {
	batch   int
	maxSize int
	keys    awsfifo.Keys
	optFns  []func(*sns.Options)
}

// Option configures a Publisher.
type Option func(*config)

// WithBatchSize sets how many messages one PublishBatch call carries, 1
// to MaxBatch (default MaxBatch); 1 sends each event with Publish. New
// refuses other values.
func WithBatchSize(n int) Option { return func(c *config) { c.batch = n } }

// WithMaxMessageSize sets the size limit of one message and of one batch
// checked before sending, in bytes (default MaxMessageSize, SNS's limit).
// Raise it only for an endpoint that takes larger messages; New refuses
// values below 1.
func WithMaxMessageSize(n int) Option { return func(c *config) { c.maxSize = n } }

// WithGroupID sets how a FIFO topic's message group id is taken from an
// event (default DefaultGroupID). On a standard topic it sets the group
// passed on to subscribed queues; an event for which fn returns "" then
// has none.
func WithGroupID(fn KeyFunc) Option {
	return func(c *config) { c.keys.Group, c.keys.GroupGiven = fn, true }
}

// WithDeduplicationID sets how a FIFO topic's deduplication id is taken
// from an event (default DefaultDeduplicationID); nil sends none, for
// topics with content-based deduplication. New refuses it for a standard
// topic.
func WithDeduplicationID(fn KeyFunc) Option {
	return func(c *config) { c.keys.Dedup, c.keys.DedupGiven = fn, true }
}

// WithClientOptions passes per-call options to every Publish and
// PublishBatch call (for example to change the retryer).
func WithClientOptions(fns ...func(*sns.Options)) Option {
	return func(c *config) { c.optFns = append(c.optFns, fns...) }
}

// Publisher publishes CloudEvents to one SNS topic. Create it with New.
type Publisher struct {
	api    API
	optFns []func(*sns.Options)
	single bool // a batch size of 1: Publish, not PublishBatch
	topic  awsfifo.Target
	b      *busbatch.Publisher[awsfifo.Message]
}

// New returns a Publisher sending to the topic topicARN through api (an
// *sns.Client). A topic ARN ending in ".fifo" is a FIFO topic.
func New(api API, topicARN string, opts ...Option) (*Publisher, error) {
	if api == nil {
		return nil, errors.New("snspub: New needs an SNS client")
	}
	if topicARN == "" {
		return nil, errors.New("snspub: New needs a topic ARN")
	}
	cfg := config{batch: MaxBatch, maxSize: MaxMessageSize}
	for _, o := range opts {
		o(&cfg)
	}
	p := &Publisher{api: api, optFns: cfg.optFns, single: cfg.batch == 1, topic: target(topicARN, cfg.maxSize, cfg.keys)}
	var err error
	p.b, err = busbatch.New(busbatch.Config[awsfifo.Message]{Name: "snspub", Closed: ErrClosed, Batch: cfg.batch, MaxBatch: MaxBatch,
		Bytes: cfg.maxSize, Encode: p.encode, Send: p.send})
	if err != nil {
		return nil, err
	}
	if cfg.maxSize < 1 {
		return nil, fmt.Errorf("snspub: maximum message size %d is below 1 byte", cfg.maxSize)
	}
	if err := p.topic.Setup(); err != nil {
		return nil, err
	}
	return p, nil
}

// target is the topic arn as awsfifo sees it.
func target(arn string, maxSize int, keys awsfifo.Keys) awsfifo.Target {
	return awsfifo.Target{Pkg: "snspub", Kind: "topic", Address: "an ARN", Name: arn,
		ErrInvalidKey: ErrInvalidKey, ErrTooLarge: ErrTooLarge, MaxSize: maxSize, Keys: keys}
}

// Publish sends events to the topic; see events.Publisher for the
// contract and the package doc for batching and error classes.
func (p *Publisher) Publish(ctx context.Context, evs ...event.Event) error {
	return p.b.Publish(ctx, evs)
}

// send makes one PublishBatch call (Publish for a batch size of 1). It
// reports failed entries through fail and returns an error only when the
// call failed as a whole.
func (p *Publisher) send(ctx context.Context, batch []awsfifo.Message, fail func(int, error)) error {
	if p.single {
		body, group, dedup := batch[0].Fields()
		in := &sns.PublishInput{TopicArn: &p.topic.Name, Message: body, MessageGroupId: group, MessageDeduplicationId: dedup}
		if _, err := p.api.Publish(ctx, in, p.optFns...); err != nil {
			return classify(fmt.Errorf("snspub: Publish: %w", err), err)
		}
		return nil
	}
	in := &sns.PublishBatchInput{TopicArn: &p.topic.Name, PublishBatchRequestEntries: make([]types.PublishBatchRequestEntry, len(batch))}
	for j := range batch {
		id := busbatch.ID(j)
		body, group, dedup := batch[j].Fields()
		in.PublishBatchRequestEntries[j] = types.PublishBatchRequestEntry{Id: &id, Message: body, MessageGroupId: group, MessageDeduplicationId: dedup}
	}
	out, err := p.api.PublishBatch(ctx, in, p.optFns...)
	if err != nil {
		return classify(fmt.Errorf("snspub: PublishBatch of %d messages: %w", len(batch), err), err)
	}
	busbatch.Match(len(batch), out.Successful, func(s types.PublishBatchResultEntry) *string { return s.Id },
		out.Failed, func(f types.BatchResultErrorEntry) (*string, error) { return f.Id, entryError(f) },
		func(j int) error {
			return handler.Retryable(fmt.Errorf("snspub: PublishBatch answered nothing for entry %d", j))
		}, fail)
	return nil
}

// encode checks one event and builds its message.
func (p *Publisher) encode(e *event.Event) (awsfifo.Message, int, error) {
	m, err := p.topic.Encode(e)
	return m, len(m.Body), err
}

// CheckKey reports, as a permanent error matching ErrInvalidKey, whether
// key is not a message group or deduplication id SNS accepts: 1 to 128
// characters, each a letter, digit or ASCII punctuation. what names the
// id in the error; optional allows the empty key.
func CheckKey(what, key string, optional bool) error {
	t := target("", 0, awsfifo.Keys{})
	return t.CheckKey(what, key, optional)
}

// Close waits for the Publish calls in flight; later calls fail with
// ErrClosed. The publisher buffers nothing, so there is nothing else to
// flush.
func (p *Publisher) Close() error {
	p.b.Close()
	return nil
}

// throttleCodes are the error codes with which SNS (and KMS behind it)
// says to slow down.
var throttleCodes = map[string]bool{
	"Throttled": true, "ThrottledException": true, "Throttling": true, "ThrottlingException": true,
	"KMSThrottling": true, "KMSThrottlingException": true, "TooManyRequestsException": true,
}

// retryCodes are codes that still say "try again".
var retryCodes = map[string]bool{
	"InternalError": true, "InternalFailure": true, "ServiceUnavailable": true, "RequestTimeout": true,
}

// classify gives err (wrapping the SDK's error cause) fnkit's class.
func classify(err, cause error) error {
	return awserr.Classify(err, cause, throttleCodes, retryCodes)
}

// entryError classifies one refused entry of a batch.
func entryError(f types.BatchResultErrorEntry) error {
	code, msg := busbatch.Deref(f.Code), busbatch.Deref(f.Message)
	return busbatch.Refused(fmt.Errorf("snspub: topic refused the message: %s: %s", code, msg), code, throttleCodes, retryCodes, !f.SenderFault)
}
