package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/handler"
)

// The CloudEvents Pub/Sub protocol binding's attribute names.
const (
	pubsubPrefix      = "ce-"
	pubsubContentType = "content-type"
)

// FromPubSubMessage decodes a Pub/Sub message's data and attributes (as a pull
// subscriber or a push delivery has them) into the CloudEvent it carries:
// structured mode when the content-type attribute begins with
// application/cloudevents, else binary mode (ce- attributes, names in any
// case). A message that is not a valid CloudEvent gives an invalid-input
// error naming what is wrong.
func FromPubSubMessage(data []byte, attrs map[string]string) (event.Event, error) {
	lower := make(map[string]string, len(attrs))
	for k, v := range attrs {
		lower[strings.ToLower(k)] = v
	}
	if ct := lower[pubsubContentType]; strings.HasPrefix(strings.ToLower(ct), "application/cloudevents") {
		var e event.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return event.Event{}, handler.InvalidInputf("events: structured-mode message (content-type %q) does not decode: %v", ct, err)
		}
		if err := CheckEvent(&e); err != nil {
			return event.Event{}, handler.InvalidInputf("events: structured-mode message: %v", err)
		}
		return e, nil
	}
	sv, ok := lower[pubsubPrefix+"specversion"]
	if !ok {
		return event.Event{}, handler.InvalidInputf("events: message has no ce-specversion attribute: not a binary-mode CloudEvent")
	}
	if sv != event.CloudEventsVersionV1 {
		return event.Event{}, handler.InvalidInputf("events: ce-specversion %q is not supported (want %q)", sv, event.CloudEventsVersionV1)
	}
	e := event.New()
	for k, v := range lower {
		name, ok := strings.CutPrefix(k, pubsubPrefix)
		if !ok {
			if k == pubsubContentType {
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
			if _, set := lower[pubsubContentType]; !set {
				e.SetDataContentType(v)
			}
		case "time":
			var t types.Timestamp
			t, err = parsePubSubTime(v)
			if err == nil {
				e.SetTime(t.Time)
			}
		default:
			if !validPubSubExtension(name) {
				return event.Event{}, handler.InvalidInputf("events: attribute %q: %q is not a CloudEvents attribute name (a-z, 0-9)", k, name)
			}
			if !utf8.ValidString(v) {
				return event.Event{}, handler.InvalidInputf("events: attribute %q is not UTF-8", k)
			}
			err = e.Context.SetExtension(name, v)
		}
		if err != nil {
			return event.Event{}, handler.InvalidInputf("events: attribute %q: %v", k, err)
		}
	}
	if len(data) > 0 {
		e.DataEncoded = data
	}
	if err := CheckEvent(&e); err != nil {
		return event.Event{}, handler.InvalidInputf("events: binary-mode message: %v", err)
	}
	return e, nil
}

func parsePubSubTime(v string) (types.Timestamp, error) {
	t, err := types.ParseTimestamp(v)
	if err != nil || t == nil {
		return types.Timestamp{}, fmt.Errorf("not an RFC 3339 time: %q", v)
	}
	return *t, nil
}

func validPubSubExtension(n string) bool {
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

// UnwrapPubSub returns the CloudEvent that a Pub/Sub message carries —
// binary mode (ce- attributes) or structured mode (content-type
// application/cloudevents…), as the CloudEvents Pub/Sub binding and
// events/pubsubpub publish it — when e is the messagePublished event
// Eventarc, the Cloud Functions adapter and FromPubSubPush make of a
// message. It reports false, with e, for any other event or a message that
// is no CloudEvent; a message that claims to be one and is not valid is an
// invalid-input error.
func UnwrapPubSub(e event.Event) (event.Event, bool, error) {
	if e.Type() != TypePubSubMessagePublished {
		return e, false, nil
	}
	var d struct {
		Message struct {
			Data       []byte            `json:"data"`
			Attributes map[string]string `json:"attributes"`
		} `json:"message"`
	}
	if err := json.Unmarshal(e.Data(), &d); err != nil {
		return e, false, nil // not ours to judge: the handler gets it as it is
	}
	carries := false
	for k, v := range d.Message.Attributes {
		lk := strings.ToLower(k)
		if lk == pubsubPrefix+"specversion" || lk == pubsubContentType && strings.HasPrefix(strings.ToLower(v), "application/cloudevents") {
			carries = true
			break
		}
	}
	if !carries {
		return e, false, nil
	}
	inner, err := FromPubSubMessage(d.Message.Data, d.Message.Attributes)
	return inner, true, err
}
