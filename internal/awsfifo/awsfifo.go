// Package awsfifo holds what events/sqspub and events/snspub share about
// their messages: each is one event in CloudEvents structured mode, with
// a message group id and a deduplication id for a FIFO queue or topic
// (one whose URL or ARN ends in ".fifo"), taken from the event by key
// functions whose defaults and checks SQS and SNS have in common.
package awsfifo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	cetypes "github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// MaxKey is the longest message group or deduplication id.
const MaxKey = 128

// Extension returns a key function reading the named extension attribute
// (as its string form); an event without it has no key.
func Extension(name string) func(e *event.Event) string {
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

// GroupID is the default message group id: the partitionkey extension
// (CloudEvents partitioning), else the source; a value that is no valid
// key (see CheckKey) is replaced by its hex SHA-256.
func GroupID(e *event.Event) string {
	k := Extension("partitionkey")(e)
	if k == "" {
		k = e.Source()
	}
	if !valid(k) {
		sum := sha256.Sum256([]byte(k))
		return hex.EncodeToString(sum[:])
	}
	return k
}

// DeduplicationID is the default deduplication id: the hex SHA-256 of
// the event's source and id, the pair that identifies a CloudEvent.
func DeduplicationID(e *event.Event) string {
	h := sha256.New()
	h.Write([]byte(e.Source()))
	h.Write([]byte{0})
	h.Write([]byte(e.ID()))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// Keys is how a publisher takes the ids of a message from an event, as
// its options set them.
type Keys struct {
	// Group and Dedup derive the message group and deduplication ids; nil
	// gives none.
	Group, Dedup func(e *event.Event) string
	// GroupGiven and DedupGiven say an option set Group or Dedup, so
	// Setup keeps them (nil included) rather than give the defaults.
	GroupGiven, DedupGiven bool
}

// Target is the queue or topic a publisher sends messages to, with the
// words its errors use.
type Target struct {
	// Pkg is the publisher's package name, the first word of its errors
	// ("sqspub").
	Pkg string
	// Kind is "queue" or "topic"; Address says what Name is, with its
	// article ("a URL", "an ARN").
	Kind, Address string
	// Name is the queue URL or topic ARN; one ending in ".fifo" is FIFO.
	Name string
	// ErrInvalidKey and ErrTooLarge are the publisher's sentinels for an
	// invalid id and for a message over MaxSize bytes.
	ErrInvalidKey, ErrTooLarge error
	// MaxSize is the largest message in bytes.
	MaxSize int
	// Keys takes the ids from events; Setup completes it.
	Keys Keys
}

// FIFO reports whether the target is a FIFO queue or topic.
func (t *Target) FIFO() bool { return strings.HasSuffix(t.Name, ".fifo") }

// Setup gives a FIFO target the default key functions (GroupID,
// DeduplicationID) where no option set them, and refuses a
// deduplication id for a standard target and a FIFO target without
// group ids.
func (t *Target) Setup() error {
	fifo := t.FIFO()
	if fifo && !t.Keys.GroupGiven {
		t.Keys.Group = GroupID
	}
	if fifo && !t.Keys.DedupGiven {
		t.Keys.Dedup = DeduplicationID
	}
	if !fifo && t.Keys.Dedup != nil {
		return fmt.Errorf("%s: deduplication ids need a FIFO %s (%s ending in .fifo), not %q", t.Pkg, t.Kind, t.Address, t.Name)
	}
	if fifo && t.Keys.Group == nil {
		return fmt.Errorf("%s: a FIFO %s needs a message group id: WithGroupID(nil) is not allowed", t.Pkg, t.Kind)
	}
	return nil
}

// CheckKey reports, as a permanent error matching t.ErrInvalidKey,
// whether key is not a message group or deduplication id SQS and SNS
// accept: 1 to MaxKey characters, each a letter, digit or ASCII
// punctuation. what names the id in the error; optional allows the empty
// key.
func (t *Target) CheckKey(what, key string, optional bool) error {
	if key == "" {
		if optional {
			return nil
		}
		return handler.Permanent(fmt.Errorf("%w: the FIFO %s needs a %s and the event gives none", t.ErrInvalidKey, t.Kind, what))
	}
	if len(key) > MaxKey {
		return handler.Permanent(fmt.Errorf("%w: %s of %d characters, more than %d", t.ErrInvalidKey, what, len(key), MaxKey))
	}
	if i := badByte(key); i >= 0 {
		return handler.Permanent(fmt.Errorf("%w: %s %q has %q at byte %d (only letters, digits and ASCII punctuation)", t.ErrInvalidKey, what, key, key[i], i))
	}
	return nil
}

// valid reports whether key is a message group or deduplication id.
func valid(key string) bool { return key != "" && len(key) <= MaxKey && badByte(key) < 0 }

// badByte returns the offset of the first byte of key that is no letter,
// digit or ASCII punctuation, or -1.
func badByte(key string) int {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x21 || c > 0x7e {
			return i
		}
	}
	return -1
}

// Message is one event ready to send.
type Message struct {
	// Body is the event in CloudEvents structured mode (JSON).
	Body string
	// Group and Dedup are its message group and deduplication ids, ""
	// for none.
	Group, Dedup string
}

// Encode checks e (events.CheckEvent), encodes it and takes its ids: a
// group id may be missing only on a standard target, a deduplication id
// (if there is a key function for it) never; a body over MaxSize bytes
// fails with ErrTooLarge. Every error but CheckEvent's is permanent.
func (t *Target) Encode(e *event.Event) (Message, error) {
	if err := events.CheckEvent(e); err != nil {
		return Message{}, err
	}
	body, err := events.StructuredJSON(e)
	if err != nil {
		return Message{}, handler.Permanent(fmt.Errorf("%s: encode event: %w", t.Pkg, err))
	}
	m := Message{Body: string(body)}
	if t.Keys.Group != nil {
		m.Group = t.Keys.Group(e)
		if err := t.CheckKey("message group id", m.Group, !t.FIFO()); err != nil {
			return Message{}, err
		}
	}
	if t.Keys.Dedup != nil {
		m.Dedup = t.Keys.Dedup(e)
		if err := t.CheckKey("message deduplication id", m.Dedup, false); err != nil {
			return Message{}, err
		}
	}
	if n := len(m.Body); n > t.MaxSize {
		return Message{}, handler.Permanent(fmt.Errorf("%w: %d bytes, more than the %d-byte limit", t.ErrTooLarge, n, t.MaxSize))
	}
	return m, nil
}

// Fields returns pointers to m's body and ids for the fields of an SDK
// request entry, nil for an id that is "" (the entry then has none).
func (m *Message) Fields() (body, group, dedup *string) {
	body = &m.Body
	if m.Group != "" {
		group = &m.Group
	}
	if m.Dedup != "" {
		dedup = &m.Dedup
	}
	return body, group, dedup
}
