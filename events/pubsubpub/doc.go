// Package pubsubpub publishes CloudEvents to a Google Cloud Pub/Sub topic
// through the events.Publisher port, with Google's Pub/Sub client
// (cloud.google.com/go/pubsub/v2), in the binary content mode of the
// CloudEvents Pub/Sub protocol binding:
//
//	message data          the event's data bytes, as they are
//	attribute content-type  datacontenttype
//	attributes ce-NAME    every other attribute and extension, in its
//	                      canonical string form (ce-id, ce-source,
//	                      ce-specversion, ce-type, ce-time, …)
//
// An event whose attributes do not fit Pub/Sub's limits (100 attributes,
// 1024 bytes a value) is sent in structured mode instead: the event as
// JSON in the data, content-type application/cloudevents+json. FromMessage
// decodes both modes back into the very same event, and FromPush does so
// for the google.cloud.pubsub.topic.v1.messagePublished event that
// Eventarc and fnkit's Pub/Sub push decoding (events.FromPubSubPush, the
// Cloud Functions and Knative adapters) hand a handler.
//
// Publish hands every event to the client, which batches them by the
// topic's PublishSettings (WithPublishSettings), and waits for each
// result. The events Pub/Sub did not take are reported as an
// *events.PublishError listing exactly those, classified with fnkit's
// error classes: the client's flow control refusing a message
// (FlowControlSignalError in the settings) and a ResourceExhausted answer
// are handler.ClassThrottled; Unavailable, DeadlineExceeded, Internal,
// Aborted, ctx errors and network failures are retryable; NotFound,
// PermissionDenied, InvalidArgument and other refusals are permanent. The
// client itself retries Unavailable, ResourceExhausted and the like until
// PublishSettings.Timeout, which then surfaces as a retryable deadline. Messages are checked before they are handed over: an
// event larger than 10 MB (Pub/Sub's limit, counting data, attributes and
// ordering key) fails alone with ErrTooLarge.
//
// WithOrderingKey sets an ordering key per event (for example from the
// partitionkey extension) and turns on the client's message ordering; a
// failure pauses the key in the client, and the publisher resumes it after
// reporting the failure so that a retry can go through.
//
// The publisher is safe for concurrent use. Close flushes what the
// client still buffers, waits for it, and makes later calls fail with
// ErrClosed.
//
// Tests run the real client against pstest, Google's in-process fake of
// the Pub/Sub gRPC API, on 127.0.0.1.
package pubsubpub
