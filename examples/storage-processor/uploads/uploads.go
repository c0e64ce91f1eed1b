// Package uploads is the business logic of the storage-processor function:
// NewHandler reacts to an uploaded object and publishes a follow-up event
// through the events.Publisher it is given. No platform in it: command
// storage-processor (the parent directory) picks the publisher and the
// adapter.
//
// The rules: images up to MaxBytes are accepted (com.example.upload.accepted),
// other content types are rejected (com.example.upload.rejected) — both are
// business outcomes, not errors. An object over MaxBytes is a permanent
// failure (dead-lettered by the adapter, never retried); an event whose
// data is not a storage object is invalid input; a failed publish is
// retried by the platform. Follow-up ids derive from the upload event's
// id, so a redelivered upload publishes the same follow-up event, which a
// receiver deduplicates on source+id.
package uploads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Follow-up event types and source.
const (
	TypeAccepted = "com.example.upload.accepted"
	TypeRejected = "com.example.upload.rejected"
	Source       = "/storage-processor"
)

// MaxBytes is the largest object accepted.
const MaxBytes = 20 << 20

// Upload is the data of the follow-up events.
type Upload struct {
	Bucket      string `json:"bucket"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	Reason      string `json:"reason,omitempty"`
}

// ErrTooLarge is the cause of the permanent failure of an object over
// MaxBytes.
var ErrTooLarge = errors.New("storage-processor: object too large")

// NewHandler returns the consumer, publishing follow-up events to pub.
func NewHandler(pub events.Publisher) handler.Handler {
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		var obj events.StorageObjectData
		switch {
		case e.Type() == events.TypeStorageObjectFinalized:
			if err := json.Unmarshal(e.Data(), &obj); err != nil {
				return nil, handler.InvalidInputf("data is not a Cloud Storage object: %v", err)
			}
		case strings.HasPrefix(e.Type(), events.AWSTypeS3Prefix+"ObjectCreated:"):
			o, err := fromS3(e.Data())
			if err != nil {
				return nil, err
			}
			obj = o
		default:
			return nil, nil // other storage events are not ours
		}
		if obj.Bucket == "" || obj.Name == "" {
			return nil, handler.InvalidInput(errors.New("bucket and name are required"),
				handler.FieldError{Field: "bucket", Rule: "required", Message: "the object's bucket and name are required"})
		}
		if obj.Size > MaxBytes {
			return nil, handler.Permanent(fmt.Errorf("%w: %s/%s is %d bytes, the limit is %d", ErrTooLarge, obj.Bucket, obj.Name, obj.Size, MaxBytes))
		}
		up := Upload{Bucket: obj.Bucket, Name: obj.Name, ContentType: obj.ContentType, Size: int64(obj.Size)}
		typ := TypeAccepted
		if !strings.HasPrefix(obj.ContentType, "image/") {
			typ = TypeRejected
			up.Reason = fmt.Sprintf("content type %q is not an image", obj.ContentType)
		}
		out := event.New()
		out.SetID(e.ID() + "/" + typ)
		out.SetSource(Source)
		out.SetType(typ)
		out.SetSubject(e.Subject())
		if err := out.SetData("application/json", up); err != nil {
			return nil, err
		}
		if err := pub.Publish(ctx, out); err != nil {
			return nil, fmt.Errorf("publishing %s: %w", typ, err)
		}
		return nil, nil
	})
}

// s3Record is what the consumer reads of an S3 notification record (the
// data of its CloudEvent on Lambda).
type s3Record struct {
	S3 struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key  string `json:"key"`
			Size int64  `json:"size"`
		} `json:"object"`
	} `json:"s3"`
}

// fromS3 reads an S3 ObjectCreated record as a storage object. S3 sends
// the key URL-encoded and no content type, which is taken from the key's
// extension.
func fromS3(data []byte) (events.StorageObjectData, error) {
	var r s3Record
	if err := json.Unmarshal(data, &r); err != nil {
		return events.StorageObjectData{}, handler.InvalidInputf("data is not an S3 notification record: %v", err)
	}
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		return events.StorageObjectData{}, handler.InvalidInputf("S3 object key %q is not URL-encoded: %v", r.S3.Object.Key, err)
	}
	return events.StorageObjectData{Bucket: r.S3.Bucket.Name, Name: key, Size: events.Int64(r.S3.Object.Size),
		ContentType: mime.TypeByExtension(path.Ext(key))}, nil
}
