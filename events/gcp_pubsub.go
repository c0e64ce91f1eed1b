package events

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// PubSubPush is the body of a Pub/Sub push delivery, as a push
// subscription POSTs it to an HTTP endpoint (Cloud Run, any server).
type PubSubPush struct {
	// Message is the message; its Raw keeps it as sent.
	Message PubSubPushMessage `json:"message"`
	// Subscription is the subscription's full name,
	// projects/PROJECT/subscriptions/NAME.
	Subscription string `json:"subscription"`
	// DeliveryAttempt counts deliveries of the message, from 1; zero when
	// the subscription has no dead-letter policy (Pub/Sub then omits it).
	DeliveryAttempt int `json:"deliveryAttempt"`
}

// PubSubPushMessage is the message of a push delivery.
type PubSubPushMessage struct {
	// Data is the base64 text of the message data, as sent.
	Data string `json:"data"`
	// Attributes are the message attributes.
	Attributes map[string]string `json:"attributes"`
	// MessageID is the message id (Pub/Sub also sends it as message_id).
	MessageID string `json:"messageId"`
	// PublishTime is when the message was published, RFC 3339.
	PublishTime string `json:"publishTime"`
	// OrderingKey is the ordering key, if any.
	OrderingKey string `json:"orderingKey"`
	// Raw is the message object as received.
	Raw json.RawMessage `json:"-"`
}

// pushInvalid returns the invalid-input error of a push delivery.
func pushInvalid(format string, args ...any) error {
	return handler.InvalidInput(fmt.Errorf("events: Pub/Sub push: "+format, args...))
}

// ParsePubSubPush decodes and checks the body of a Pub/Sub push delivery:
// a JSON object whose "message" has a messageId (or message_id), data (if
// any) in base64, string attributes and an RFC 3339 publishTime (if any),
// with a non-negative deliveryAttempt. Every failure is an invalid-input
// error naming the field at fault.
func ParsePubSubPush(body []byte) (*PubSubPush, error) {
	var env struct {
		Message         json.RawMessage `json:"message"`
		Subscription    *string         `json:"subscription"`
		DeliveryAttempt *int            `json:"deliveryAttempt"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, pushInvalid("malformed JSON: %v", jsonText(err))
	}
	if len(env.Message) == 0 || bytes.Equal(env.Message, []byte("null")) {
		return nil, pushInvalid(`missing "message"`)
	}
	var m struct {
		PubSubPushMessage
		MessageIDSnake   string `json:"message_id"`
		PublishTimeSnake string `json:"publish_time"`
	}
	if err := json.Unmarshal(env.Message, &m); err != nil {
		return nil, pushInvalid("message: %v", jsonText(err))
	}
	p := &PubSubPush{Message: m.PubSubPushMessage}
	p.Message.Raw = env.Message
	if p.Message.MessageID == "" {
		p.Message.MessageID = m.MessageIDSnake
	}
	if p.Message.PublishTime == "" {
		p.Message.PublishTime = m.PublishTimeSnake
	}
	if strings.TrimSpace(p.Message.MessageID) == "" {
		return nil, pushInvalid("missing message.messageId")
	}
	if _, err := decodeBase64(p.Message.Data); err != nil {
		return nil, pushInvalid("message.data is not valid base64: %v", err)
	}
	if p.Message.PublishTime != "" {
		if _, err := time.Parse(time.RFC3339Nano, p.Message.PublishTime); err != nil {
			return nil, pushInvalid("message.publishTime %q is not an RFC 3339 time", p.Message.PublishTime)
		}
	}
	if env.Subscription != nil {
		p.Subscription = *env.Subscription
	}
	if env.DeliveryAttempt != nil {
		if *env.DeliveryAttempt < 0 {
			return nil, pushInvalid("deliveryAttempt %d is negative", *env.DeliveryAttempt)
		}
		p.DeliveryAttempt = *env.DeliveryAttempt
	}
	return p, nil
}

// IsPubSubPush reports whether body looks like a Pub/Sub push delivery: a
// JSON object with a "message" object and a "subscription" string.
// ParsePubSubPush says what is wrong with one that does not decode.
func IsPubSubPush(body []byte) bool {
	var probe struct {
		Message      json.RawMessage `json:"message"`
		Subscription *string         `json:"subscription"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return false
	}
	return len(probe.Message) > 0 && probe.Message[0] == '{' && probe.Subscription != nil
}

// topicInPath is compiled on first use: a regexp compiled at package
// init costs every function linking events start-up time (0.1 ms).
var topicInPath = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(projects/[^/?]+/topics/[^/?]+)`)
})

// TopicFromPath returns the topic named in a push endpoint's URL path
// (…/projects/PROJECT/topics/TOPIC…, the Functions Framework's
// convention), or "" if the path names none.
func TopicFromPath(path string) string {
	if m := topicInPath().FindStringSubmatch(path); m != nil {
		return m[1]
	}
	return ""
}

// Event returns the CloudEvent that Eventarc delivers for the message:
//
//	id               message.messageId
//	source           //pubsub.googleapis.com/TOPIC (topic: projects/P/topics/T);
//	                 //pubsub.googleapis.com/SUBSCRIPTION when topic is ""
//	                 (a push delivery does not name its topic)
//	type             google.cloud.pubsub.topic.v1.messagePublished
//	time             message.publishTime
//	datacontenttype  application/json
//	data             {"message": the message as received, "subscription": …}
//
// The delivery attempt is not an attribute; adapters put it in
// handler.Invocation.Attempt.
func (p *PubSubPush) Event(topic string) (event.Event, error) {
	res := topic
	if res == "" {
		res = p.Subscription
	}
	if res == "" {
		return event.Event{}, pushInvalid("no topic given and no subscription in the delivery: the event needs a source")
	}
	var ts time.Time
	if p.Message.PublishTime != "" {
		ts, _ = time.Parse(time.RFC3339Nano, p.Message.PublishTime)
	}
	sub, _ := json.Marshal(p.Subscription)
	var b bytes.Buffer
	b.Grow(len(p.Message.Raw) + len(sub) + 32)
	b.WriteString(`{"message":`)
	b.Write(p.Message.Raw)
	b.WriteString(`,"subscription":`)
	b.Write(sub)
	b.WriteByte('}')
	return newGCPEvent(p.Message.MessageID, "//"+gcpServicePubSub+"/"+res, TypePubSubMessagePublished, "", ts, b.Bytes())
}

// FromPubSubPush decodes a Pub/Sub push delivery (ParsePubSubPush) into
// its CloudEvent (PubSubPush.Event) — or, when the message is itself a
// CloudEvent (UnwrapPubSub), into that event — and returns the delivery
// attempt with it (zero if the subscription does not count them). topic names the
// source's topic, projects/PROJECT/topics/TOPIC; pass
// TopicFromPath(r.URL.Path), or "" to fall back to the subscription.
func FromPubSubPush(body []byte, topic string) (event.Event, int, error) {
	p, err := ParsePubSubPush(body)
	if err != nil {
		return event.Event{}, 0, err
	}
	e, err := p.Event(topic)
	if err != nil {
		return event.Event{}, 0, err
	}
	// A message that is itself a CloudEvent (the Pub/Sub binding, as
	// events/pubsubpub publishes) is that event, not wrapped twice.
	if inner, ok, err := UnwrapPubSub(e); ok {
		if err != nil {
			return event.Event{}, 0, err
		}
		return inner, p.DeliveryAttempt, nil
	}
	return e, p.DeliveryAttempt, nil
}

// decodeBase64 decodes standard base64, padded or not, as Pub/Sub sends
// it; URL-safe input is accepted too.
func decodeBase64(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	if b, err := base64.URLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// DecodePubSubPush is FromPubSubPush as an httpserver.PlainDecoder: with
// httpserver.New(h, httpserver.WithPlainDecoder(events.DecodePubSubPush)),
// a push subscription may deliver straight to the server. The topic is
// taken from the request path (TopicFromPath); a body that is no push
// envelope is left to the plain mapping.
func DecodePubSubPush(r *http.Request, body []byte) (event.Event, int, bool, error) {
	if !IsPubSubPush(body) {
		return event.Event{}, 0, false, nil
	}
	e, attempt, err := FromPubSubPush(body, TopicFromPath(r.URL.Path))
	return e, attempt, true, err
}
