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
// # AWS events
//
// DetectAWS tells a Lambda payload's trigger from its shape, without
// decoding it. FromSQS, FromSNS, FromS3, FromEventBridge (scheduled events
// and S3-via-EventBridge included), FromKinesis, FromDynamoDB, FromKafka
// and FromCloudWatchLogs map each record to one CloudEvent, in an
// AWSRecord that keeps the original record (Raw), its batch item id
// (ItemID), FIFO group and delivery attempt. S3 and SNS follow the
// CloudEvents adapter specifications (cloudevents/spec:
// cloudevents/adapters/aws-s3.md, aws-sns.md); for the others, which have
// none, the mapping is defined here:
//
//	source       id                          source            type                           time                         data
//	SQS          messageId                   eventSourceARN    com.amazonaws.sqs.message      attributes.SentTimestamp     body
//	SNS          Sns.MessageId               EventSubscriptionArn com.amazonaws.sns.<Type>    Sns.Timestamp                the Sns object
//	S3           x-amz-request-id.x-amz-id-2 aws:s3.<region>.<bucket> com.amazonaws.s3.<eventName> eventTime         the record
//	EventBridge  id                          source            <detail-type>                  time                         detail
//	Kinesis      eventID                     eventSourceARN    com.amazonaws.kinesis.record   approximateArrivalTimestamp  data, base64-decoded
//	DynamoDB     eventID                     eventSourceARN    com.amazonaws.dynamodb.<eventName> ApproximateCreationDateTime the dynamodb object (Keys, NewImage, OldImage)
//	Kafka        <topic>-<partition>-<offset> eventSourceArn   com.amazonaws.kafka.record     timestamp                    value, base64-decoded  (ce_ headers: that CloudEvent)
//	Logs         logEvents[i].id             logGroup          com.amazonaws.logs.event       logEvents[i].timestamp       logEvents[i].message
//
// Subjects: SNS Subject, S3 object key, EventBridge resources[0], Kinesis
// partition key, Kafka key, log stream. Each From function's documentation
// gives the full mapping, datacontenttype included. A message body (SQS),
// Message (SNS), detail (EventBridge) or record data (Kinesis, Kafka) that
// is itself a structured CloudEvent is that event, unwrapped, not wrapped
// twice. A record that cannot be read keeps its place with an
// invalid-input Err naming it and why, and a fallback event carrying the
// raw record, so that one bad record never hides its neighbours and can
// still be dead-lettered.
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
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/storage-processor],
// [github.com/fnkit/fnkit/examples/saga],
// [github.com/fnkit/fnkit/examples/queue-worker].
package events
