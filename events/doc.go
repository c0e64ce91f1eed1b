// Package events holds CloudEvent constructors and decoders; platform event
// <-> CloudEvent mappings (AWS, GCP); and the Publisher port.
//
// # Publishing
//
// Publisher is the outbound port: Publish(ctx, events...) sends CloudEvents
// and reports per event what failed (*PublishError, FailedIndexes), with
// handler error classes so that only failures retrying can fix are retried.
// Memory records events for tests and asserts what was published.
// HTTPPublisher sends to a CloudEvents HTTP sink (K_SINK with
// HTTPPublisherFromEnv) in binary mode, with bounded retries (exponential
// backoff with jitter) on the statuses Knative retries, a circuit breaker
// and per-attempt timeouts. Every Publisher passes the
// events/publishertest conformance suite. DeadLetter keeps events that
// failed for good (permanent, invalid input) by publishing them, with the
// reason, to a dead-letter Publisher.
//
// # Google Cloud events
//
// FromBackground converts a legacy (background) Cloud Functions event —
// {"context":…,"data":…} or the flat shape — to the CloudEvent the
// Functions Framework makes of it (google.storage.object.finalize becomes
// google.cloud.storage.object.v1.finalized with source
// //storage.googleapis.com/projects/_/buckets/BUCKET and subject
// objects/NAME; Pub/Sub, Firestore, Firebase Auth, Realtime Database and
// Analytics likewise). FromPubSubPush converts the body of a Pub/Sub push
// delivery to the messagePublished CloudEvent Eventarc delivers, and
// returns the delivery attempt. StorageObjectData, PubSubMessagePublishedData,
// FirestoreDocumentEventData and AuditLogData are typed data for typed
// handlers.
package events
