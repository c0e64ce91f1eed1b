// Package sqspub publishes CloudEvents to an Amazon SQS queue through the
// events.Publisher port, with the AWS SDK for Go v2.
//
// Each event is one SQS message whose body is the event in CloudEvents
// structured mode (JSON, application/cloudevents+json): there is no
// CloudEvents binding for SQS, and structured mode carries every attribute
// and extension in the body, where fnkit's Lambda adapter (events.FromSQS)
// finds and unwraps it. Data that is not JSON (or JSON that is not valid)
// travels as data_base64, so every data byte arrives unchanged.
//
// Publish sends the events in SendMessageBatch calls of up to ten
// messages (WithBatchSize) and at most the queue's size limit in total,
// one call after another, so events of one call keep their order. Entries
// the queue refuses are reported back as an *events.PublishError listing
// exactly those events, classified with fnkit's error classes: a throttled
// queue (RequestThrottled, ThrottlingException, KMS throttling) is
// handler.ClassThrottled, a fault of the service (SenderFault false, 5xx,
// network errors, deadlines) is retryable, and anything the queue refuses
// for good (SenderFault true, other 4xx) is permanent. When a call fails as
// a whole, its events and the later ones are reported failed and nothing
// is reported as sent that was not.
//
// Messages are checked before sending: an event whose message is larger
// than the limit (1 MiB, SQS's current maximum; WithMaxMessageSize lowers
// it) or that has characters SQS does not allow fails alone, as a
// permanent error matching ErrTooLarge or ErrInvalidMessage. A FIFO queue
// (its URL ends in ".fifo") gets a message group id and a deduplication id
// for every message, by default the event's partitionkey extension (else
// its source) and a SHA-256 of its source and id; WithGroupID and
// WithDeduplicationID take them from elsewhere (Extension, Subject,
// Source, ID). An id that SQS would refuse fails that event with
// ErrInvalidKey.
//
// The publisher is safe for concurrent use and sends synchronously:
// Close waits for the calls in flight and makes later calls fail with
// ErrClosed.
//
// Tests: no SQS emulator speaking the JSON 1.0 protocol of current SDK
// clients can be installed here, so the tests run the real SDK client
// against a loopback server on 127.0.0.1 that implements the operations
// used (SendMessageBatch, ReceiveMessage, DeleteMessageBatch) with SQS's
// request checks, limits, checksums and error shapes (JSON __type and the
// x-amzn-query-error header), and checks that every request is SigV4
// signed.
package sqspub
