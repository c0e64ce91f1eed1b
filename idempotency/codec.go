package idempotency

import (
	"encoding/binary"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// A stored reply is a compact binary CloudEvent (faster than the JSON
// format by several times, which matters on every new key and duplicate):
//
//	flags byte: 1 datacontenttype, 2 subject, 4 time, 8 dataschema
//	id, source, type as uvarint-length strings
//	the optional attributes the flags name, in that order (time as
//	  Unix nanoseconds, varint)
//	uvarint count of extensions, each: name, kind byte, value string
//	the data, to the end
//
// Extension kinds keep the types the CloudEvents type system allows:
// 's' string, 'i' integer, 'b' boolean; anything else is stored as its
// canonical string.
const (
	flagContentType = 1 << iota
	flagSubject
	flagTime
	flagDataSchema
)

var errBadEvent = errors.New("idempotency: bad stored reply")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendEvent(b []byte, e *event.Event) ([]byte, error) {
	ec, ok := e.Context.(*event.EventContextV1)
	if !ok {
		if e.Context == nil {
			return nil, errors.New("idempotency: reply without a context")
		}
		ec = e.Context.AsV1()
	}
	var flags byte
	if ec.DataContentType != nil {
		flags |= flagContentType
	}
	if ec.Subject != nil {
		flags |= flagSubject
	}
	if ec.Time != nil {
		flags |= flagTime
	}
	if ec.DataSchema != nil {
		flags |= flagDataSchema
	}
	b = append(b, flags)
	b = appendString(b, ec.ID)
	b = appendString(b, replySources.string(&ec.Source))
	b = appendString(b, ec.Type)
	if ec.DataContentType != nil {
		b = appendString(b, *ec.DataContentType)
	}
	if ec.Subject != nil {
		b = appendString(b, *ec.Subject)
	}
	if ec.Time != nil {
		b = binary.AppendVarint(b, ec.Time.UnixNano())
	}
	if ec.DataSchema != nil {
		b = appendString(b, ec.DataSchema.String())
	}
	b = binary.AppendUvarint(b, uint64(len(ec.Extensions)))
	for name, v := range ec.Extensions {
		b = appendString(b, name)
		switch x := v.(type) {
		case string:
			b = append(b, 's')
			b = appendString(b, x)
		case int32:
			b = append(b, 'i')
			b = appendString(b, strconv.FormatInt(int64(x), 10))
		case bool:
			b = append(b, 'b')
			b = appendString(b, strconv.FormatBool(x))
		default:
			s, err := types.Format(v)
			if err != nil {
				return nil, err
			}
			b = append(b, 's')
			b = appendString(b, s)
		}
	}
	return append(b, e.DataEncoded...), nil
}

// reader reads the fields of appendEvent.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBadEvent
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadEvent
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.err = errBadEvent
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func decodeEvent(b []byte) (*event.Event, error) {
	r := &reader{b: b}
	type alloc struct {
		ev event.Event
		ec event.EventContextV1
	}
	a := &alloc{}
	flags := r.byte()
	a.ec.ID = r.string()
	src := r.string()
	a.ec.Type = r.string()
	if flags&flagContentType != 0 {
		ct := r.string()
		a.ec.DataContentType = &ct
	}
	if flags&flagSubject != 0 {
		s := r.string()
		a.ec.Subject = &s
	}
	if flags&flagTime != 0 {
		v, n := binary.Varint(r.b)
		if n <= 0 {
			return nil, errBadEvent
		}
		r.b = r.b[n:]
		a.ec.Time = &types.Timestamp{Time: time.Unix(0, v).UTC()}
	}
	if flags&flagDataSchema != 0 {
		u, err := url.Parse(r.string())
		if err != nil {
			return nil, errBadEvent
		}
		a.ec.DataSchema = &types.URI{URL: *u}
	}
	if n := r.uvarint(); n > 0 && r.err == nil {
		if n > uint64(len(r.b)) {
			return nil, errBadEvent
		}
		a.ec.Extensions = make(map[string]any, n)
		for range n {
			name, kind, val := r.string(), r.byte(), r.string()
			var v any = val
			switch kind {
			case 'i':
				i, err := strconv.ParseInt(val, 10, 32)
				if err != nil {
					return nil, errBadEvent
				}
				v = int32(i)
			case 'b':
				v = val == "true"
			}
			a.ec.Extensions[name] = v
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, errBadEvent
	}
	a.ec.Source = types.URIRef{URL: *u}
	a.ev.Context = &a.ec
	if len(r.b) > 0 {
		a.ev.DataEncoded = append([]byte(nil), r.b...)
	}
	return &a.ev, nil
}
