package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/fnkit/fnkit/examples/storage-processor/uploads"

	"github.com/fnkit/fnkit/adapters/awslambda"
	"github.com/fnkit/fnkit/events"
)

// s3Notification is an S3 ObjectCreated:Put notification as Lambda's S3
// trigger delivers it.
const s3Notification = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1",
"eventTime":"2026-11-24T10:00:00.000Z","eventName":"ObjectCreated:Put","userIdentity":{"principalId":"AWS:AIDAEXAMPLE"},
"requestParameters":{"sourceIPAddress":"203.0.113.7"},"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810","x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
"s3":{"s3SchemaVersion":"1.0","configurationId":"uploads","bucket":{"name":"photos","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},"arn":"arn:aws:s3:::photos"},
"object":{"key":"holiday/my+cat.jpg","size":4096,"eTag":"d41d8cd98f00b204e9800998ecf8427e","sequencer":"0055AED6DCD90281E5"}}}]}`

// TestS3UploadOnLambda: the same handler behind the Lambda adapter reads
// an S3 notification (URL-encoded key, content type from the extension).
func TestS3UploadOnLambda(t *testing.T) {
	pub := events.NewMemory()
	if _, err := awslambda.New(uploads.NewHandler(pub)).Invoke(context.Background(), []byte(s3Notification)); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	e := pub.AssertPublished(t, uploads.TypeAccepted)
	var up uploads.Upload
	if err := json.Unmarshal(e.Data(), &up); err != nil {
		t.Fatal(err)
	}
	if up != (uploads.Upload{Bucket: "photos", Name: "holiday/my cat.jpg", ContentType: "image/jpeg", Size: 4096}) {
		t.Fatalf("published %+v", up)
	}
	// A broken record is invalid input, and Lambda is told the invocation failed.
	bad := `{"Records":[{"eventSource":"aws:s3","awsRegion":"eu-west-1","eventName":"ObjectCreated:Put",
"responseElements":{"x-amz-request-id":"R","x-amz-id-2":"I"},"s3":{"bucket":{"name":"photos"},"object":{"key":"%zz","size":1}}}]}`
	if _, err := awslambda.New(uploads.NewHandler(events.NewMemory())).Invoke(context.Background(), []byte(bad)); err == nil {
		t.Fatal("a key that is not URL-encoded was accepted")
	}
}
