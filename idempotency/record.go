package idempotency

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"
)

// A record is stored as:
//
//	byte 0      status: 'P' in progress, 'C' completed
//	byte 1      length n of the payload hash (at most 255)
//	bytes 2…    the hash, n bytes
//	then        for a completed record with a reply, the byte 'E' and the
//	            reply in the binary form of codec.go; nothing for "no reply"
//
// An in-progress record's lease is its TTL in the store.
const (
	statusInProgress = 'P'
	statusCompleted  = 'C'
)

type record struct {
	status byte
	hash   []byte
	reply  *event.Event
}

var errCorrupt = errors.New("idempotency: corrupt record")

func encodeRecord(status byte, hash []byte, reply *event.Event) ([]byte, error) {
	size := 2 + len(hash)
	if len(hash) > 255 {
		size = 2 + sha256.Size
	}
	if reply != nil {
		size += 64 + len(reply.DataEncoded) // the reply's attributes are usually short
	}
	return appendRecord(make([]byte, 0, size), status, hash, reply)
}

// appendRecord appends the record to b.
func appendRecord(b []byte, status byte, hash []byte, reply *event.Event) ([]byte, error) {
	if len(hash) > 255 {
		sum := sha256.Sum256(hash)
		hash = sum[:]
	}
	b = append(b, status, byte(len(hash)))
	b = append(b, hash...)
	if reply != nil {
		var err error
		if b, err = appendEvent(append(b, 'E'), reply); err != nil {
			return nil, fmt.Errorf("idempotency: encoding the reply: %w", err)
		}
	}
	return b, nil
}

// recordBuf is a reusable buffer for the records of one delivery. A
// state.Store keeps no reference to a value it is given, so the buffer
// can serve the claim, then the completed record, then another delivery.
type recordBuf struct{ b []byte }

// maxPooledRecord bounds the buffers kept for reuse, so that one large
// reply does not pin its buffer for ever.
const maxPooledRecord = 64 << 10

var recordBufs = sync.Pool{New: func() any { return &recordBuf{b: make([]byte, 0, 256)} }}

func getRecordBuf() *recordBuf { return recordBufs.Get().(*recordBuf) }

func putRecordBuf(r *recordBuf) {
	if cap(r.b) <= maxPooledRecord {
		r.b = r.b[:0]
		recordBufs.Put(r)
	}
}

func decodeRecord(b []byte) (record, error) {
	if len(b) < 2 || (b[0] != statusInProgress && b[0] != statusCompleted) || len(b) < 2+int(b[1]) {
		return record{}, errCorrupt
	}
	r := record{status: b[0], hash: b[2 : 2+int(b[1])]}
	if rest := b[2+int(b[1]):]; len(rest) > 0 {
		if r.status != statusCompleted || rest[0] != 'E' {
			return record{}, errCorrupt
		}
		e, err := decodeEvent(rest[1:])
		if err != nil {
			return record{}, fmt.Errorf("%w: %w", errCorrupt, err)
		}
		r.reply = e
	}
	return r, nil
}

// normHash makes a payload hash comparable with a stored one.
func normHash(h []byte) []byte {
	if len(h) > 255 {
		sum := sha256.Sum256(h)
		return sum[:]
	}
	return h
}
