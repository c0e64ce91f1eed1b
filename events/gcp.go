package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/handler"
)

// CloudEvent types of Google Cloud events, as Eventarc and the Functions
// Framework deliver them.
const (
	TypePubSubMessagePublished       = "google.cloud.pubsub.topic.v1.messagePublished"
	TypeStorageObjectFinalized       = "google.cloud.storage.object.v1.finalized"
	TypeStorageObjectDeleted         = "google.cloud.storage.object.v1.deleted"
	TypeStorageObjectArchived        = "google.cloud.storage.object.v1.archived"
	TypeStorageObjectMetadataUpdated = "google.cloud.storage.object.v1.metadataUpdated"
	TypeFirestoreDocumentWritten     = "google.cloud.firestore.document.v1.written"
	TypeFirestoreDocumentCreated     = "google.cloud.firestore.document.v1.created"
	TypeFirestoreDocumentUpdated     = "google.cloud.firestore.document.v1.updated"
	TypeFirestoreDocumentDeleted     = "google.cloud.firestore.document.v1.deleted"
	TypeAuditLogWritten              = "google.cloud.audit.log.v1.written"
	TypeFirebaseAuthUserCreated      = "google.firebase.auth.user.v1.created"
	TypeFirebaseAuthUserDeleted      = "google.firebase.auth.user.v1.deleted"
	TypeFirebaseAnalyticsLog         = "google.firebase.analytics.log.v1.written"
	TypeFirebaseDatabaseCreated      = "google.firebase.database.ref.v1.created"
	TypeFirebaseDatabaseWritten      = "google.firebase.database.ref.v1.written"
	TypeFirebaseDatabaseUpdated      = "google.firebase.database.ref.v1.updated"
	TypeFirebaseDatabaseDeleted      = "google.firebase.database.ref.v1.deleted"
)

const (
	gcpServicePubSub             = "pubsub.googleapis.com"
	gcpServiceStorage            = "storage.googleapis.com"
	gcpServiceFirestore          = "firestore.googleapis.com"
	gcpServiceFirebase           = "firebase.googleapis.com"
	gcpServiceFirebaseAuth       = "firebaseauth.googleapis.com"
	gcpServiceFirebaseDB         = "firebasedatabase.googleapis.com"
	gcpFirebaseDBDefaultLocation = "us-central1"
	gcpFirebaseDBDefaultDomain   = "firebaseio.com"
	gcpJSON                      = "application/json"
	gcpMaxResourceBytes          = 4096
)

// ErrUnknownBackgroundType is matched by the error of FromBackground for
// a legacy event type that has no CloudEvent equivalent.
var ErrUnknownBackgroundType = errors.New("events: unknown legacy event type")

// backgroundTypes maps legacy (background) event types to CloudEvent
// types: the Functions Framework's table.
var backgroundTypes = map[string]string{
	"google.pubsub.topic.publish":                              TypePubSubMessagePublished,
	"providers/cloud.pubsub/eventTypes/topic.publish":          TypePubSubMessagePublished,
	"google.storage.object.finalize":                           TypeStorageObjectFinalized,
	"google.storage.object.delete":                             TypeStorageObjectDeleted,
	"google.storage.object.archive":                            TypeStorageObjectArchived,
	"google.storage.object.metadataUpdate":                     TypeStorageObjectMetadataUpdated,
	"providers/cloud.storage/eventTypes/object.change":         TypeStorageObjectFinalized,
	"providers/cloud.firestore/eventTypes/document.write":      TypeFirestoreDocumentWritten,
	"providers/cloud.firestore/eventTypes/document.create":     TypeFirestoreDocumentCreated,
	"providers/cloud.firestore/eventTypes/document.update":     TypeFirestoreDocumentUpdated,
	"providers/cloud.firestore/eventTypes/document.delete":     TypeFirestoreDocumentDeleted,
	"providers/firebase.auth/eventTypes/user.create":           TypeFirebaseAuthUserCreated,
	"providers/firebase.auth/eventTypes/user.delete":           TypeFirebaseAuthUserDeleted,
	"providers/google.firebase.analytics/eventTypes/event.log": TypeFirebaseAnalyticsLog,
	"providers/google.firebase.database/eventTypes/ref.create": TypeFirebaseDatabaseCreated,
	"providers/google.firebase.database/eventTypes/ref.write":  TypeFirebaseDatabaseWritten,
	"providers/google.firebase.database/eventTypes/ref.update": TypeFirebaseDatabaseUpdated,
	"providers/google.firebase.database/eventTypes/ref.delete": TypeFirebaseDatabaseDeleted,
}

// backgroundServices gives the service of a legacy event type by prefix,
// when its resource does not name one.
var backgroundServices = [...]struct{ prefix, service string }{
	{"providers/cloud.firestore/", gcpServiceFirestore},
	{"providers/google.firebase.analytics/", gcpServiceFirebase},
	{"providers/firebase.auth/", gcpServiceFirebaseAuth},
	{"providers/google.firebase.database/", gcpServiceFirebaseDB},
	{"providers/cloud.pubsub/", gcpServicePubSub},
	{"providers/cloud.storage/", gcpServiceStorage},
	{"google.pubsub", gcpServicePubSub},
	{"google.storage", gcpServiceStorage},
}

// resourceSplit splits a legacy resource into the CloudEvent source's
// resource and the subject, per service; services not listed keep the
// whole resource and have no subject. The regexps are compiled on first
// use, not at package init (which every function linking events pays).
var resourceSplit = sync.OnceValue(func() map[string]resourcePattern {
	return map[string]resourcePattern{
		gcpServiceFirebase:   {regexp.MustCompile(`^(projects/[^/]+)/(events/[^/]+)$`), "projects/PROJECT/events/EVENT"},
		gcpServiceFirebaseDB: {regexp.MustCompile(`^projects/_/(instances/[^/]+)/(refs/.+)$`), "projects/_/instances/INSTANCE/refs/PATH"},
		gcpServiceFirestore:  {regexp.MustCompile(`^(projects/[^/]+/databases/\(default\))/(documents/.+)$`), "projects/PROJECT/databases/(default)/documents/PATH"},
		gcpServiceStorage:    {regexp.MustCompile(`^(projects/_/buckets/[^/]+)/(objects/.+)$`), "projects/_/buckets/BUCKET/objects/NAME"},
	}
})

type resourcePattern struct {
	re   *regexp.Regexp
	want string
}

// bgContext is the context of a legacy event, nested under "context" or
// flat beside "data".
type bgContext struct {
	EventID   string          `json:"eventId"`
	Timestamp string          `json:"timestamp"`
	EventType string          `json:"eventType"`
	Resource  json.RawMessage `json:"resource"`
}

type bgEnvelope struct {
	Context *bgContext      `json:"context"`
	Data    json.RawMessage `json:"data"`
	Domain  string          `json:"domain"`
	bgContext
}

type bgResource struct {
	Service string `json:"service"`
	Name    string `json:"name"`
	Type    string `json:"type"`
}

// bgInvalid returns the invalid-input error of a legacy event.
func bgInvalid(format string, args ...any) error {
	return handler.InvalidInput(fmt.Errorf("events: legacy event: "+format, args...))
}

// IsBackground reports whether body looks like a legacy (background)
// Cloud Functions event: a JSON object with "data" and either "context"
// or a top-level "eventType". FromBackground says what is wrong with one
// that does not convert.
func IsBackground(body []byte) bool {
	var probe struct {
		Context   json.RawMessage `json:"context"`
		Data      json.RawMessage `json:"data"`
		EventType json.RawMessage `json:"eventType"`
	}
	if json.Unmarshal(body, &probe) != nil {
		return false
	}
	return probe.Data != nil && (probe.Context != nil || probe.EventType != nil)
}

// FromBackground converts a legacy (background) Cloud Functions event to
// the CloudEvent the Functions Framework makes of it, in both shapes the
// platform sends: {"context":{"eventId","timestamp","eventType",
// "resource"},"data":…} and the flat {"eventId","timestamp","eventType",
// "resource","data"} (resource as an object or a string).
//
//	id               eventId
//	time             timestamp
//	type             the CloudEvent type of eventType (ErrUnknownBackgroundType if none)
//	source           //SERVICE/RESOURCE, e.g. //storage.googleapis.com/projects/_/buckets/B
//	subject          the rest of the resource, e.g. objects/NAME or documents/PATH;
//	                 users/UID for Firebase Auth
//	datacontenttype  application/json
//	data             data; for Pub/Sub {"message":{…data, "messageId", "publishTime"}};
//	                 for Firebase Auth, metadata.createdAt/lastSignedInAt renamed
//	                 createTime/lastSignInTime
//
// Firebase Realtime Database sources carry the location given by the
// event's domain (us-central1 for firebaseio.com). Every failure is an
// invalid-input error naming the field at fault.
func FromBackground(body []byte) (event.Event, error) {
	var env bgEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return event.Event{}, bgInvalid("malformed JSON: %v", jsonText(err))
	}
	ctx := env.Context
	if ctx == nil {
		if env.EventID == "" && env.EventType == "" {
			return event.Event{}, bgInvalid(`missing "context" (and no top-level eventId and eventType)`)
		}
		ctx = &env.bgContext
	}
	if len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")) {
		return event.Event{}, bgInvalid(`missing "data"`)
	}
	if strings.TrimSpace(ctx.EventID) == "" {
		return event.Event{}, bgInvalid("missing context eventId")
	}
	if ctx.EventType == "" {
		return event.Event{}, bgInvalid("missing context eventType")
	}
	ceType, ok := backgroundTypes[ctx.EventType]
	if !ok {
		return event.Event{}, handler.InvalidInput(fmt.Errorf("%w %q", ErrUnknownBackgroundType, ctx.EventType))
	}
	var ts time.Time
	if ctx.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, ctx.Timestamp)
		if err != nil {
			return event.Event{}, bgInvalid("context timestamp %q is not an RFC 3339 time", ctx.Timestamp)
		}
		ts = t
	}
	var res bgResource
	if len(ctx.Resource) > 0 && !bytes.Equal(ctx.Resource, []byte("null")) {
		var raw string
		if json.Unmarshal(ctx.Resource, &raw) == nil {
			res.Name = raw
		} else if err := json.Unmarshal(ctx.Resource, &res); err != nil {
			return event.Event{}, bgInvalid("context resource must be a string or an object with service and name")
		}
	}
	if res.Name == "" {
		return event.Event{}, bgInvalid("missing context resource name")
	}
	if len(res.Name) > gcpMaxResourceBytes {
		return event.Event{}, bgInvalid("context resource is longer than %d bytes", gcpMaxResourceBytes)
	}
	service := res.Service
	if service == "" {
		for _, s := range backgroundServices {
			if strings.HasPrefix(ctx.EventType, s.prefix) {
				service = s.service
				break
			}
		}
	}
	resource, subject := res.Name, ""
	if split, ok := resourceSplit()[service]; ok {
		m := split.re.FindStringSubmatch(res.Name)
		if m == nil {
			return event.Event{}, bgInvalid("resource %q of a %s event does not match %s", res.Name, service, split.want)
		}
		resource, subject = m[1], m[2]
	}
	source := "//" + service + "/" + resource
	data := []byte(env.Data)
	switch service {
	case gcpServicePubSub:
		d, err := pubSubBackgroundData(env.Data, ctx.EventID, ts)
		if err != nil {
			return event.Event{}, err
		}
		data = d
	case gcpServiceFirebaseAuth:
		d, s, err := firebaseAuthData(env.Data)
		if err != nil {
			return event.Event{}, err
		}
		data = d
		if s != "" {
			subject = s
		}
	case gcpServiceFirebaseDB:
		location := gcpFirebaseDBDefaultLocation
		if env.Domain != gcpFirebaseDBDefaultDomain {
			loc, _, ok := strings.Cut(env.Domain, ".")
			if !ok || loc == "" {
				return event.Event{}, bgInvalid("Firebase Realtime Database domain %q has no location (want e.g. europe-west1.firebasedatabase.app)", env.Domain)
			}
			location = loc
		}
		source = "//" + service + "/projects/_/locations/" + location + "/" + resource
	}
	return newGCPEvent(ctx.EventID, source, ceType, subject, ts, data)
}

// newGCPEvent builds and validates a converted event.
func newGCPEvent(id, source, typ, subject string, ts time.Time, data []byte) (event.Event, error) {
	ec := &event.EventContextV1{ID: id, Type: typ}
	if err := ec.SetSource(source); err != nil {
		return event.Event{}, handler.InvalidInputf("events: GCP event source %q is not a URI reference", source)
	}
	if subject != "" {
		ec.Subject = &subject
	}
	if !ts.IsZero() {
		ec.Time = &types.Timestamp{Time: ts}
	}
	ct := gcpJSON
	ec.DataContentType = &ct
	e := event.Event{Context: ec, DataEncoded: data}
	if err := e.Validate(); err != nil {
		return event.Event{}, handler.InvalidInputf("events: converted GCP event is invalid: %w", err)
	}
	return e, nil
}

// pubSubBackgroundData wraps legacy Pub/Sub data as Eventarc does:
// {"message":{…,"messageId","publishTime"}}.
func pubSubBackgroundData(raw json.RawMessage, id string, ts time.Time) ([]byte, error) {
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(raw, &msg); err != nil || msg == nil {
		return nil, bgInvalid("Pub/Sub data must be a JSON object (a PubsubMessage)")
	}
	if d, ok := msg["data"]; ok && !bytes.Equal(d, []byte("null")) {
		var s string
		if json.Unmarshal(d, &s) != nil {
			return nil, bgInvalid("Pub/Sub data.data must be a base64 string")
		}
		if _, err := decodeBase64(s); err != nil {
			return nil, bgInvalid("Pub/Sub data.data is not valid base64: %v", err)
		}
	}
	id2, _ := json.Marshal(id)
	msg["messageId"] = id2
	if !ts.IsZero() {
		t, _ := json.Marshal(ts)
		msg["publishTime"] = t
	}
	out, err := json.Marshal(struct {
		Message map[string]json.RawMessage `json:"message"`
	}{msg})
	if err != nil {
		return nil, bgInvalid("Pub/Sub data: %v", err)
	}
	return out, nil
}

// firebaseAuthData renames the user metadata fields and derives the
// subject users/UID.
func firebaseAuthData(raw json.RawMessage) ([]byte, string, error) {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil || d == nil {
		return nil, "", bgInvalid("Firebase Auth data must be a JSON object (a user record)")
	}
	subject := ""
	if uid, ok := d["uid"]; ok {
		var s string
		if json.Unmarshal(uid, &s) == nil {
			subject = "users/" + s
		} else {
			subject = "users/" + string(uid)
		}
	}
	md, ok := d["metadata"]
	if !ok {
		return raw, subject, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(md, &m) != nil || m == nil {
		return raw, subject, nil
	}
	changed := false
	for old, name := range map[string]string{"createdAt": "createTime", "lastSignedInAt": "lastSignInTime"} {
		if v, ok := m[old]; ok {
			m[name] = v
			delete(m, old)
			changed = true
		}
	}
	if !changed {
		return raw, subject, nil
	}
	d["metadata"], _ = json.Marshal(m)
	out, err := json.Marshal(d)
	if err != nil {
		return nil, "", bgInvalid("Firebase Auth data: %v", err)
	}
	return out, subject, nil
}

// jsonText describes a JSON error with its offset when it has one.
func jsonText(err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Sprintf("%v (at byte %d)", syntax, syntax.Offset)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
