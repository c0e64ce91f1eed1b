package pubsubpub

import (
	"encoding/json"
	"fmt"
	"strings"
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
// error naming what is wrong.
func FromMessage(data []byte, attrs map[string]string) (event.Event, error) {
	lower := make(map[string]string, len(attrs))
	for k, v := range attrs {
		lower[strings.ToLower(k)] = v
	}
	if ct := lower[ContentType]; strings.HasPrefix(strings.ToLower(ct), "application/cloudevents") {
		var e event.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return event.Event{}, handler.InvalidInputf("pubsubpub: structured-mode message (content-type %q) does not decode: %v", ct, err)
		}
		if err := events.CheckEvent(&e); err != nil {
			return event.Event{}, handler.InvalidInputf("pubsubpub: structured-mode message: %v", err)
		}
		return e, nil
	}
	sv, ok := lower[Prefix+"specversion"]
	if !ok {
		return event.Event{}, handler.InvalidInputf("pubsubpub: message has no ce-specversion attribute: not a binary-mode CloudEvent")
	}
	if sv != event.CloudEventsVersionV1 {
		return event.Event{}, handler.InvalidInputf("pubsubpub: ce-specversion %q is not supported (want %q)", sv, event.CloudEventsVersionV1)
	}
	e := event.New()
	for k, v := range lower {
		name, ok := strings.CutPrefix(k, Prefix)
		if !ok {
			if k == ContentType {
				e.SetDataContentType(v)
			}
			continue
		}
		var err error
		switch name {
		case "specversion":
		case "id":
			e.SetID(v)
		case "source":
			e.SetSource(v)
		case "type":
			e.SetType(v)
		case "subject":
			e.SetSubject(v)
		case "dataschema":
			e.SetDataSchema(v)
		case "datacontenttype":
			if _, set := lower[ContentType]; !set {
				e.SetDataContentType(v)
			}
		case "time":
			var t types.Timestamp
			t, err = parseTime(v)
			if err == nil {
				e.SetTime(t.Time)
			}
		default:
			if !validExtensionName(name) {
				return event.Event{}, handler.InvalidInputf("pubsubpub: attribute %q: %q is not a CloudEvents attribute name (a-z, 0-9)", k, name)
			}
			if !utf8.ValidString(v) {
				return event.Event{}, handler.InvalidInputf("pubsubpub: attribute %q is not UTF-8", k)
			}
			err = e.Context.SetExtension(name, v)
		}
		if err != nil {
			return event.Event{}, handler.InvalidInputf("pubsubpub: attribute %q: %v", k, err)
		}
	}
	if len(data) > 0 {
		e.DataEncoded = data
	}
	if err := events.CheckEvent(&e); err != nil {
		return event.Event{}, handler.InvalidInputf("pubsubpub: binary-mode message: %v", err)
	}
	return e, nil
}

func parseTime(v string) (types.Timestamp, error) {
	t, err := types.ParseTimestamp(v)
	if err != nil || t == nil {
		return types.Timestamp{}, fmt.Errorf("not an RFC 3339 time: %q", v)
	}
	return *t, nil
}

func validExtensionName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
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
