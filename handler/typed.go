package handler

import (
	"context"
	"net/url"
	"reflect"
	"sync/atomic"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/internal/ids"
)

// Typed returns a Handler that decodes each event's data into an In, calls
// fn, and replies with an event whose data is fn's Out.
//
// Decoding follows the event's datacontenttype: JSON (application/json,
// text/json, any +json type, or no content type at all) is unmarshalled into
// In; text/* data fills an In of type string; any data fills an In of type
// []byte unchanged. Data that cannot be decoded is an invalid-input error
// naming the field or content type at fault (ErrUnsupportedMediaType for a
// content type In cannot be read from, ErrNoData for missing data).
//
// A struct In with `validate` tags is then validated by built-in rules
// that read the tags as go-playground/validator does, or by the Validator
// WithValidator gives (see WithValidator); failures are invalid-input
// errors whose Fields name each field by its JSON path, such as
// items[0].sku.
//
// The reply carries Out encoded as JSON (application/json), a string as
// text/plain, a []byte as application/octet-stream and a json.RawMessage as
// is. If Out is a pointer type and fn returns nil, there is no reply. The
// reply has a fresh id, the request's type followed by ".reply" and the
// request's source, unless WithReplyType or WithReplySource say otherwise.
//
// Errors from fn are returned unchanged: classify them with InvalidInput,
// Permanent or Throttled. The returned Handler is safe for concurrent use if
// fn is.
func Typed[In, Out any](fn func(ctx context.Context, in In) (Out, error), opts ...Option) Handler {
	if fn == nil {
		panic("handler: Typed(nil)")
	}
	h := &typed[In, Out]{fn: fn, in: newInput[In](opts), outKind: kindOf[Out]()}
	h.outPtr = reflect.TypeFor[Out]().Kind() == reflect.Pointer
	return h
}

// TypedNoReply returns a Handler that decodes each event's data into an In,
// as Typed does, and calls fn. It never replies.
func TypedNoReply[In any](fn func(ctx context.Context, in In) error, opts ...Option) Handler {
	if fn == nil {
		panic("handler: TypedNoReply(nil)")
	}
	return &typedNoReply[In]{fn: fn, in: newInput[In](opts)}
}

// input decodes and validates the In of a typed handler.
type input[In any] struct {
	cfg      typedConfig
	kind     valueKind
	name     names
	validate Validator // nil: no validation
}

func newInput[In any](opts []Option) input[In] {
	in := input[In]{kind: kindOf[In]()}
	in.name = namesOf[In](in.kind)
	for _, o := range opts {
		o(&in.cfg)
	}
	if in.cfg.newID == nil {
		in.cfg.newID = ids.Next
	}
	in.cfg.lastType = new(atomic.Pointer[[2]string])
	t := reflect.TypeFor[In]()
	switch {
	case in.cfg.noValidation || in.kind != kindJSON || !isStructish(t):
	case in.cfg.validator != nil:
		in.validate = in.cfg.validator
	case hasValidateTags(t):
		in.validate = newTagValidator(t)
	}
	return in
}

func (p *input[In]) decode(e *event.Event) (In, error) {
	v, err := decodeData[In](e, p.kind, p.cfg.strictJSON, p.name)
	if err != nil {
		return v, err
	}
	if p.validate != nil {
		if err := validateCopy(p.validate, v); err != nil {
			return v, validationFailed(err, p.name.goType)
		}
	}
	return v, nil
}

// validateCopy validates a copy of v, so that only a validated input is
// moved to the heap (validators need a pointer), not every input.
func validateCopy[In any](v Validator, in In) error {
	return v.Validate(&in)
}

type typed[In, Out any] struct {
	fn      func(context.Context, In) (Out, error)
	in      input[In]
	outKind valueKind
	outPtr  bool
}

func (h *typed[In, Out]) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	in, err := h.in.decode(&e)
	if err != nil {
		return nil, err
	}
	out, err := h.fn(ctx, in)
	if err != nil {
		return nil, err
	}
	if h.outPtr && reflect.ValueOf(any(out)).IsNil() {
		return nil, nil
	}
	data, ct, err := encodeData(out, h.outKind)
	if err != nil {
		return nil, err
	}
	return newReply(&e, &h.in.cfg, data, ct), nil
}

type typedNoReply[In any] struct {
	fn func(context.Context, In) error
	in input[In]
}

func (h *typedNoReply[In]) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	in, err := h.in.decode(&e)
	if err != nil {
		return nil, err
	}
	return nil, h.fn(ctx, in)
}

// reply holds a reply event and its context in one allocation.
type reply struct {
	ev event.Event
	ec event.EventContextV1
	ct string
}

func newReply(req *event.Event, cfg *typedConfig, data []byte, ct string) *event.Event {
	r := &reply{ct: ct}
	r.ec.ID = cfg.newID()
	if cfg.replyType != "" {
		r.ec.Type = cfg.replyType
	} else {
		r.ec.Type = cfg.derivedReplyType(req.Type())
	}
	switch {
	case cfg.replySource != nil:
		r.ec.Source = *cfg.replySource
	default:
		r.ec.Source = sourceOf(req)
	}
	r.ec.DataContentType = &r.ct
	r.ev.Context = &r.ec
	r.ev.DataEncoded = data
	return &r.ev
}

// sourceOf returns e's source without re-parsing it when it can.
func sourceOf(e *event.Event) types.URIRef {
	switch c := e.Context.(type) {
	case *event.EventContextV1:
		return c.Source
	case *event.EventContextV03:
		return c.Source
	}
	u, err := url.Parse(e.Source())
	if err != nil {
		return types.URIRef{}
	}
	return types.URIRef{URL: *u}
}
