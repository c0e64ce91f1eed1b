package sqspub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/fnkit/fnkit/internal/awserr"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/cloudevents/sdk-go/v2/event"
	cetypes "github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Limits of SQS that the publisher checks before sending.
const (
	// MaxBatch is the most entries one SendMessageBatch call may carry.
	MaxBatch = 10
	// MaxMessageSize is SQS's largest message (and batch) in bytes.
	MaxMessageSize = 1 << 20
	// maxKey is the longest message group or deduplication id.
	maxKey = 128
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
func Extension(name string) KeyFunc {
	return func(e *event.Event) string {
		v, ok := e.Extensions()[name]
		if !ok {
			return ""
		}
		s, err := cetypes.Format(v)
		if err != nil {
			return ""
		}
		return s
	}
}

// Subject returns a KeyFunc reading the event's subject.
func Subject() KeyFunc { return func(e *event.Event) string { return e.Subject() } }

// Source returns a KeyFunc reading the event's source.
func Source() KeyFunc { return func(e *event.Event) string { return e.Source() } }

// ID returns a KeyFunc reading the event's id.
func ID() KeyFunc { return func(e *event.Event) string { return e.ID() } }

// DefaultGroupID is the group of a FIFO message unless WithGroupID says
// otherwise: the partitionkey extension (CloudEvents partitioning), else
// the source; a value that is not a valid group id (too long, spaces or
// characters other than ASCII letters, digits and punctuation) is
// replaced by its hex SHA-256, so every valid event has a group.
func DefaultGroupID(e *event.Event) string {
	k := Extension("partitionkey")(e)
	if k == "" {
		k = e.Source()
	}
	if CheckKey("", k, false) != nil {
		sum := sha256.Sum256([]byte(k))
		return hex.EncodeToString(sum[:])
	}
	return k
}

// DefaultDeduplicationID is the deduplication id of a FIFO message unless
// WithDeduplicationID says otherwise: the hex SHA-256 of the source and
// id, the pair that identifies a CloudEvent, so a republished event is
// dropped by the queue within its deduplication interval.
func DefaultDeduplicationID(e *event.Event) string {
	h := sha256.New()
	h.Write([]byte(e.Source()))
	h.Write([]byte{0})
	h.Write([]byte(e.ID()))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

type config struct {
	batch                  int
	maxSize                int
	group, dedup           KeyFunc
	groupGiven, dedupGiven bool
	optFns                 []func(*sqs.Options)
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
	return func(c *config) { c.group, c.groupGiven = fn, true }
}

// WithDeduplicationID sets how a FIFO queue's deduplication id is taken
// from an event (default DefaultDeduplicationID); nil sends none, for
// queues with content-based deduplication. New refuses it for a standard
// queue.
func WithDeduplicationID(fn KeyFunc) Option {
	return func(c *config) { c.dedup, c.dedupGiven = fn, true }
}

// WithClientOptions passes per-call options to every SendMessageBatch
// call (for example to change the retryer).
func WithClientOptions(fns ...func(*sqs.Options)) Option {
	return func(c *config) { c.optFns = append(c.optFns, fns...) }
}

// Publisher publishes CloudEvents to one SQS queue. Create it with New.
type Publisher struct {
	api   API
	queue string
	fifo  bool
	cfg   config

	mu     sync.RWMutex // held shared by Publish, exclusively by Close
	closed bool
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
	p := &Publisher{api: api, queue: queueURL, fifo: strings.HasSuffix(queueURL, ".fifo")}
	p.cfg = config{batch: MaxBatch, maxSize: MaxMessageSize}
	for _, o := range opts {
		o(&p.cfg)
	}
	if p.fifo && !p.cfg.groupGiven {
		p.cfg.group = DefaultGroupID
	}
	if p.fifo && !p.cfg.dedupGiven {
		p.cfg.dedup = DefaultDeduplicationID
	}
	if p.cfg.batch < 1 || p.cfg.batch > MaxBatch {
		return nil, fmt.Errorf("sqspub: batch size %d is not between 1 and %d", p.cfg.batch, MaxBatch)
	}
	if p.cfg.maxSize < 1 || p.cfg.maxSize > MaxMessageSize {
		return nil, fmt.Errorf("sqspub: maximum message size %d is not between 1 and %d bytes", p.cfg.maxSize, MaxMessageSize)
	}
	if !p.fifo && p.cfg.dedup != nil {
		return nil, fmt.Errorf("sqspub: deduplication ids need a FIFO queue (a URL ending in .fifo), not %q", queueURL)
	}
	if p.fifo && p.cfg.group == nil {
		return nil, errors.New("sqspub: a FIFO queue needs a message group id: WithGroupID(nil) is not allowed")
	}
	return p, nil
}

// entry is one event ready to send.
type entry struct {
	index int
	e     *event.Event
	body  string
	group string
	dedup string
	size  int
}

// Publish sends events to the queue; see events.Publisher for the
// contract and the package doc for batching and error classes.
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
		return fmt.Errorf("sqspub: %w", err)
	}
	var fails []events.Failure
	fail := func(i int, err error) {
		fails = append(fails, events.Failure{Index: i, ID: idOf(&evs[i]), Source: sourceOf(&evs[i]), Err: err})
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
		for n < len(ready) && n < p.cfg.batch && (n == 0 || total+ready[n].size <= MaxMessageSize) {
			total += ready[n].size
			n++
		}
		batch := ready[:n]
		ready = ready[n:]
		if stop == nil {
			stop = ctx.Err()
			if stop != nil {
				stop = fmt.Errorf("sqspub: not sent: %w", stop)
			}
		}
		if stop != nil {
			for _, en := range batch {
				fail(en.index, stop)
			}
			continue
		}
		if err := p.send(ctx, batch, fail); err != nil {
			stop = err
		}
	}
	if len(fails) == 0 {
		return nil
	}
	sort.SliceStable(fails, func(a, b int) bool { return fails[a].Index < fails[b].Index })
	return &events.PublishError{Total: len(evs), Failures: fails}
}

// send makes one SendMessageBatch call. It reports failed entries through
// fail and returns an error only when the call failed as a whole.
func (p *Publisher) send(ctx context.Context, batch []entry, fail func(int, error)) error {
	in := &sqs.SendMessageBatchInput{QueueUrl: &p.queue, Entries: make([]types.SendMessageBatchRequestEntry, len(batch))}
	for j := range batch {
		en := &batch[j]
		id := strconv.Itoa(j)
		in.Entries[j] = types.SendMessageBatchRequestEntry{Id: &id, MessageBody: &en.body}
		if en.group != "" {
			in.Entries[j].MessageGroupId = &en.group
		}
		if en.dedup != "" {
			in.Entries[j].MessageDeduplicationId = &en.dedup
		}
	}
	out, err := p.api.SendMessageBatch(ctx, in, p.cfg.optFns...)
	if err != nil {
		err = classify(fmt.Errorf("sqspub: SendMessageBatch of %d messages: %w", len(batch), err), err)
		for _, en := range batch {
			fail(en.index, err)
		}
		return err
	}
	done := make([]bool, len(batch))
	for _, s := range out.Successful {
		if j, ok := entryIndex(s.Id, len(batch)); ok {
			done[j] = true
		}
	}
	for _, f := range out.Failed {
		j, ok := entryIndex(f.Id, len(batch))
		if !ok || done[j] {
			continue
		}
		done[j] = true
		fail(batch[j].index, entryError(f))
	}
	for j, ok := range done {
		if !ok {
			fail(batch[j].index, handler.Retryable(fmt.Errorf("sqspub: SendMessageBatch answered nothing for entry %d", j)))
		}
	}
	return nil
}

func entryIndex(id *string, n int) (int, bool) {
	if id == nil {
		return 0, false
	}
	j, err := strconv.Atoi(*id)
	return j, err == nil && j >= 0 && j < n
}

// encode checks one event and builds its message.
func (p *Publisher) encode(i int, e *event.Event) (entry, error) {
	if err := events.CheckEvent(e); err != nil {
		return entry{}, err
	}
	body, err := events.StructuredJSON(e)
	if err != nil {
		return entry{}, handler.Permanent(fmt.Errorf("sqspub: encode event: %w", err))
	}
	en := entry{index: i, e: e, body: string(body)}
	if p.cfg.group != nil {
		en.group = p.cfg.group(e)
		if err := CheckKey("message group id", en.group, !p.fifo); err != nil {
			return entry{}, err
		}
	}
	if p.cfg.dedup != nil {
		en.dedup = p.cfg.dedup(e)
		if err := CheckKey("message deduplication id", en.dedup, false); err != nil {
			return entry{}, err
		}
	}
	en.size = len(en.body)
	if en.size > p.cfg.maxSize {
		return entry{}, handler.Permanent(fmt.Errorf("%w: %d bytes, more than the %d-byte limit", ErrTooLarge, en.size, p.cfg.maxSize))
	}
	if bad := invalidChar(body); bad >= 0 {
		return entry{}, handler.Permanent(fmt.Errorf("%w: byte offset %d of the message", ErrInvalidMessage, bad))
	}
	return en, nil
}

// CheckKey reports, as a permanent error matching ErrInvalidKey, whether
// key is not a message group or deduplication id SQS accepts: 1 to 128
// characters, each a letter, digit or ASCII punctuation. what names the
// id in the error; optional allows the empty key.
func CheckKey(what, key string, optional bool) error {
	if key == "" {
		if optional {
			return nil
		}
		return handler.Permanent(fmt.Errorf("%w: the FIFO queue needs a %s and the event gives none", ErrInvalidKey, what))
	}
	if len(key) > maxKey {
		return handler.Permanent(fmt.Errorf("%w: %s of %d characters, more than %d", ErrInvalidKey, what, len(key), maxKey))
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return handler.Permanent(fmt.Errorf("%w: %s %q has %q at byte %d (only letters, digits and ASCII punctuation)", ErrInvalidKey, what, key, c, i))
		}
	}
	return nil
}

// invalidChar returns the offset of the first character SQS refuses in a
// message (#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD |
// #x10000 to #x10FFFF), or -1. body is JSON, so control characters are
// escaped already and only U+FFFE and U+FFFF (EF BF BE, EF BF BF) can
// appear; invalid UTF-8 never does (data that is not UTF-8 is base64).
func invalidChar(body []byte) int {
	off := 0
	for {
		i := bytes.Index(body[off:], []byte{0xef, 0xbf})
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
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return nil
}

func idOf(e *event.Event) string {
	if e.Context == nil {
		return ""
	}
	return e.ID()
}

func sourceOf(e *event.Event) string {
	if e.Context == nil {
		return ""
	}
	return e.Source()
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
	code, msg := deref(f.Code), deref(f.Message)
	err := fmt.Errorf("sqspub: queue refused the message: %s: %s", code, msg)
	switch {
	case throttleCodes[code]:
		return handler.Throttled(err, 0)
	case retryCodes[code] || !f.SenderFault:
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
