package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Typed data of the common Google Cloud events, for typed handlers
// (handler.Typed[events.StorageObjectData] and so on). They decode the
// JSON that Eventarc, the Functions Framework and FromBackground /
// FromPubSubPush deliver.
//
// fnkit does not use github.com/googleapis/google-cloudevents-go for
// these: its types are generated from protobuf and decode through
// protojson, which would make every function that imports events link
// google.golang.org/protobuf (events is linked by Lambda functions too,
// and internal/depcheck keeps it to the CloudEvents SDK). These structs
// cover the documented JSON fields; a user who needs every field, or
// Firestore data in application/protobuf (2nd-gen Firestore triggers'
// default), can decode e.Data() with that module's types directly.

// PubSubMessagePublishedData is the data of a
// google.cloud.pubsub.topic.v1.messagePublished event.
type PubSubMessagePublishedData struct {
	// Message is the published message.
	Message PubSubMessage `json:"message"`
	// Subscription is the subscription that delivered it, when known.
	Subscription string `json:"subscription,omitempty"`
}

// PubSubMessage is a Pub/Sub message. Data holds the decoded bytes of the
// base64 "data" field.
type PubSubMessage struct {
	// Data is the message data, decoded from base64.
	Data []byte `json:"data,omitempty"`
	// Attributes are the message attributes.
	Attributes map[string]string `json:"attributes,omitempty"`
	// MessageID is the id Pub/Sub gave the message.
	MessageID string `json:"messageId"`
	// PublishTime is when Pub/Sub received the message.
	PublishTime time.Time `json:"publishTime"`
	// OrderingKey is the message's ordering key, if any.
	OrderingKey string `json:"orderingKey,omitempty"`
}

// Int64 is an integer that Google's JSON APIs send as a string
// ("generation": "1587627537231057"); it decodes from a JSON string or
// number and encodes as a string.
type Int64 int64

// UnmarshalJSON accepts "123", 123 and null (zero).
func (n *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("events: %q is not a 64-bit integer", b)
	}
	*n = Int64(v)
	return nil
}

// MarshalJSON encodes n as a JSON string, as Google's APIs do.
func (n Int64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// StorageObjectData is the data of the google.cloud.storage.object.v1.*
// events: the object's metadata, as the Cloud Storage JSON API has it.
type StorageObjectData struct {
	Kind                    string            `json:"kind,omitempty"`
	ID                      string            `json:"id,omitempty"`
	SelfLink                string            `json:"selfLink,omitempty"`
	Name                    string            `json:"name"`
	Bucket                  string            `json:"bucket"`
	Generation              Int64             `json:"generation,omitempty"`
	Metageneration          Int64             `json:"metageneration,omitempty"`
	ContentType             string            `json:"contentType,omitempty"`
	TimeCreated             time.Time         `json:"timeCreated,omitzero"`
	Updated                 time.Time         `json:"updated,omitzero"`
	TimeDeleted             time.Time         `json:"timeDeleted,omitzero"`
	StorageClass            string            `json:"storageClass,omitempty"`
	TimeStorageClassUpdated time.Time         `json:"timeStorageClassUpdated,omitzero"`
	Size                    Int64             `json:"size,omitempty"`
	MD5Hash                 string            `json:"md5Hash,omitempty"`
	MediaLink               string            `json:"mediaLink,omitempty"`
	ContentEncoding         string            `json:"contentEncoding,omitempty"`
	ContentDisposition      string            `json:"contentDisposition,omitempty"`
	CacheControl            string            `json:"cacheControl,omitempty"`
	Metadata                map[string]string `json:"metadata,omitempty"`
	CRC32C                  string            `json:"crc32c,omitempty"`
	ComponentCount          int               `json:"componentCount,omitempty"`
	Etag                    string            `json:"etag,omitempty"`
	CustomTime              time.Time         `json:"customTime,omitzero"`
}

// FirestoreDocumentEventData is the data of the
// google.cloud.firestore.document.v1.* events in their JSON form (legacy
// Firestore triggers, and Eventarc triggers set to JSON).
type FirestoreDocumentEventData struct {
	// Value is the document after the change; nil for a delete.
	Value *FirestoreDocument `json:"value,omitempty"`
	// OldValue is the document before the change; nil for a create.
	OldValue *FirestoreDocument `json:"oldValue,omitempty"`
	// UpdateMask lists the fields an update changed.
	UpdateMask *FirestoreDocumentMask `json:"updateMask,omitempty"`
}

// FirestoreDocument is a Firestore document.
type FirestoreDocument struct {
	// Name is the document's resource name,
	// projects/P/databases/(default)/documents/PATH.
	Name string `json:"name"`
	// Fields are the document's fields.
	Fields map[string]FirestoreValue `json:"fields,omitempty"`
	// CreateTime is when the document was created.
	CreateTime time.Time `json:"createTime,omitzero"`
	// UpdateTime is when the document was last changed.
	UpdateTime time.Time `json:"updateTime,omitzero"`
}

// FirestoreDocumentMask lists document field paths.
type FirestoreDocumentMask struct {
	// FieldPaths are the field paths.
	FieldPaths []string `json:"fieldPaths,omitempty"`
}

// FirestoreValue is one Firestore value: exactly one member is set.
type FirestoreValue struct {
	// NullValue is JSON null for a null value (see IsNull).
	NullValue      json.RawMessage      `json:"nullValue,omitempty"`
	BooleanValue   *bool                `json:"booleanValue,omitempty"`
	IntegerValue   *Int64               `json:"integerValue,omitempty"`
	DoubleValue    *float64             `json:"doubleValue,omitempty"`
	TimestampValue *time.Time           `json:"timestampValue,omitempty"`
	StringValue    *string              `json:"stringValue,omitempty"`
	BytesValue     []byte               `json:"bytesValue,omitempty"`
	ReferenceValue *string              `json:"referenceValue,omitempty"`
	GeoPointValue  *FirestoreLatLng     `json:"geoPointValue,omitempty"`
	ArrayValue     *FirestoreArrayValue `json:"arrayValue,omitempty"`
	MapValue       *FirestoreMapValue   `json:"mapValue,omitempty"`
}

// IsNull reports whether v is Firestore's null value.
func (v FirestoreValue) IsNull() bool { return v.NullValue != nil }

// FirestoreLatLng is a geographic point.
type FirestoreLatLng struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// FirestoreArrayValue is an array value.
type FirestoreArrayValue struct {
	Values []FirestoreValue `json:"values,omitempty"`
}

// FirestoreMapValue is a map value.
type FirestoreMapValue struct {
	Fields map[string]FirestoreValue `json:"fields,omitempty"`
}

// AuditLogData is the data of a google.cloud.audit.log.v1.written event
// (Eventarc's Cloud Audit Logs trigger): a log entry whose payload is an
// audit log.
type AuditLogData struct {
	ProtoPayload     AuditLog          `json:"protoPayload"`
	InsertID         string            `json:"insertId,omitempty"`
	Resource         MonitoredResource `json:"resource"`
	Timestamp        time.Time         `json:"timestamp,omitzero"`
	ReceiveTimestamp time.Time         `json:"receiveTimestamp,omitzero"`
	Severity         string            `json:"severity,omitempty"`
	LogName          string            `json:"logName,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Operation        *LogOperation     `json:"operation,omitempty"`
	Trace            string            `json:"trace,omitempty"`
	SpanID           string            `json:"spanId,omitempty"`
}

// AuditLog is the payload of an audit log entry.
type AuditLog struct {
	ServiceName        string                   `json:"serviceName"`
	MethodName         string                   `json:"methodName"`
	ResourceName       string                   `json:"resourceName"`
	AuthenticationInfo *AuditAuthenticationInfo `json:"authenticationInfo,omitempty"`
	AuthorizationInfo  []AuditAuthorizationInfo `json:"authorizationInfo,omitempty"`
	RequestMetadata    *AuditRequestMetadata    `json:"requestMetadata,omitempty"`
	Status             *AuditStatus             `json:"status,omitempty"`
	// Request, Response and Metadata depend on the service and method.
	Request  json.RawMessage `json:"request,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// AuditAuthenticationInfo says who made the call.
type AuditAuthenticationInfo struct {
	PrincipalEmail   string `json:"principalEmail,omitempty"`
	PrincipalSubject string `json:"principalSubject,omitempty"`
}

// AuditAuthorizationInfo is one authorization check of the call.
type AuditAuthorizationInfo struct {
	Resource   string `json:"resource,omitempty"`
	Permission string `json:"permission,omitempty"`
	Granted    bool   `json:"granted,omitempty"`
}

// AuditRequestMetadata describes the caller.
type AuditRequestMetadata struct {
	CallerIP                string `json:"callerIp,omitempty"`
	CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent,omitempty"`
}

// AuditStatus is the outcome of the call (google.rpc.Status).
type AuditStatus struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

// MonitoredResource is the resource a log entry is about.
type MonitoredResource struct {
	Type   string            `json:"type"`
	Labels map[string]string `json:"labels,omitempty"`
}

// LogOperation ties log entries of one long-running operation.
type LogOperation struct {
	ID       string `json:"id,omitempty"`
	Producer string `json:"producer,omitempty"`
	First    bool   `json:"first,omitempty"`
	Last     bool   `json:"last,omitempty"`
}
