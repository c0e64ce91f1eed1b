package pubsubpub

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"cloud.google.com/go/pubsub/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Attribute names of the binding.
const (
	// Prefix prefixes the attribute of every CloudEvents attribute but
	// datacontenttype.
	Prefix = "ce-"
	// ContentType is the attribute of datacontenttype (binary mode) or of
	// the event format (structured mode).
	ContentType = "content-type"
	// StructuredJSON is the content type of a structured-mode message.
	StructuredJSON = "application/cloudevents+json; charset=UTF-8"
)

// Encode returns the Pub/Sub message of e in binary mode, or in
// structured mode when its attributes do not fit Pub/Sub's limits. e must
// be valid (events.CheckEvent). Data is shared with e, not copied; the
// client does not change it.
func Encode(e *event.Event) (*pubsub.Message, error) {
	attrs, ok, bad := attributes(e)
	if bad != "" {
		return nil, handler.InvalidInputf("pubsubpub: attribute %q is not UTF-8, which Pub/Sub attributes must be", bad)
	}
	if ok {
		return &pubsub.Message{Data: e.DataEncoded, Attributes: attrs}, nil
	}
	body, err := events.StructuredJSON(e)
	if err != nil {
		return nil, handler.Permanent(fmt.Errorf("pubsubpub: encode event: %w", err))
	}
	return &pubsub.Message{Data: body, Attributes: map[string]string{ContentType: StructuredJSON}}, nil
}

// Attributes returns the binary-mode attributes of e, and false if they
// do not fit Pub/Sub's limits (too many, or a key or value too long).
func Attributes(e *event.Event) (map[string]string, bool) {
	attrs, ok, bad := attributes(e)
	return attrs, ok && bad == ""
}

// attributes is Attributes, also naming the first attribute that is not
// UTF-8.
func attributes(e *event.Event) (attrs map[string]string, ok bool, bad string) {
	ext := e.Extensions()
	attrs = make(map[string]string, 6+len(ext))
	a := attrSet{attrs: attrs, ok: true}
	a.set(Prefix+"specversion", e.SpecVersion())
	a.set(Prefix+"id", e.ID())
	a.set(Prefix+"source", e.Source())
	a.set(Prefix+"type", e.Type())
	if s := e.Subject(); s != "" {
		a.set(Prefix+"subject", s)
	}
	if t := e.Time(); !t.IsZero() {
		a.set(Prefix+"time", t.UTC().Format(time.RFC3339Nano))
	}
	if s := e.DataSchema(); s != "" {
		a.set(Prefix+"dataschema", s)
	}
	if ct := e.DataContentType(); ct != "" {
		a.set(ContentType, ct)
	}
	for k, v := range ext {
		s, err := formatValue(v)
		if err != nil {
			return nil, false, ""
		}
		a.set(Prefix+k, s)
	}
	return attrs, a.ok && len(attrs) <= MaxAttributes, a.bad
}

// attrSet adds attributes, noting whether they fit Pub/Sub's limits and
// the first that is not UTF-8 (a struct, not a closure, so nothing
// escapes to the heap).
type attrSet struct {
	attrs map[string]string
	ok    bool
	bad   string
}

func (a *attrSet) set(k, v string) {
	if len(k) > MaxAttributeKey || len(v) > MaxAttributeValue {
		a.ok = false
	}
	if a.bad == "" && !utf8.ValidString(v) {
		a.bad = k
	}
	a.attrs[k] = v
}

func formatValue(v any) (string, error) { return types.Format(v) }

// FromMessage decodes a Pub/Sub message's data and attributes (as a pull
// subscriber or a push delivery has them) into the CloudEvent it carries:
// structured mode when the content-type attribute begins with
// application/cloudevents, else binary mode (ce- attributes, names in any
// case). A message that is not a valid CloudEvent gives an invalid-input
// error naming what is wrong. It is events.FromPubSubMessage.
func FromMessage(data []byte, attrs map[string]string) (event.Event, error) {
	return events.FromPubSubMessage(data, attrs)
}

// FromPush returns the CloudEvent carried by a Pub/Sub message that
// reached a handler as Eventarc's messagePublished event (type
// events.TypePubSubMessagePublished, data {"message": {...}}), as the
// Cloud Functions and Knative adapters and events.FromPubSubPush deliver
// it. An event of another type is returned unchanged.
func FromPush(e event.Event) (event.Event, error) {
	if e.Type() != events.TypePubSubMessagePublished {
		return e, nil
	}
	var d struct {
		Message struct {
			Data       []byte            `json:"data"`
			Attributes map[string]string `json:"attributes"`
		} `json:"message"`
	}
	if err := json.Unmarshal(e.Data(), &d); err != nil {
		return event.Event{}, handler.InvalidInputf("pubsubpub: messagePublished event %q: data: %v", e.ID(), err)
	}
	return FromMessage(d.Message.Data, d.Message.Attributes)
}
