// Package snspub publishes CloudEvents to an Amazon SNS topic through the
// events.Publisher port, with the AWS SDK for Go v2.
//
// Each event is one SNS message whose Message is the event in CloudEvents
// structured mode (JSON): there is no CloudEvents binding for SNS, and
// structured mode carries every attribute and extension in the message,
// where fnkit's Lambda adapter (events.FromSNS) finds and unwraps it
// whether SNS delivers to Lambda, HTTP or (as a notification or raw) SQS.
// Data that is not JSON travels as data_base64, so every byte arrives
// unchanged. Because the message is a JSON object, subscription filter
// policies with FilterPolicyScope MessageBody can match on the event's
// type, source, subject, extensions or JSON data.
//
// Publish sends the events in PublishBatch calls of up to ten messages
// (WithBatchSize) and at most 256 KiB in total, one call after another so
// that events of one call keep their order; WithBatchSize(1) uses Publish,
// one call per event. Entries the topic refuses are reported back as an
// *events.PublishError listing exactly those events, classified with
// fnkit's error classes: throttling (Throttled, KMSThrottling, HTTP 429)
// is handler.ClassThrottled, a fault of the service (SenderFault false,
// 5xx, network errors, deadlines) is retryable, anything refused for good
// (SenderFault true, other 4xx) is permanent. When a call fails as a
// whole, its events and the later ones are reported failed and nothing is
// reported as sent that was not.
//
// Messages are checked before sending: an event whose message is larger
// than 256 KiB (SNS's limit; WithMaxMessageSize changes the figure for
// other endpoints) fails alone with ErrTooLarge. A FIFO topic (its ARN
// ends in ".fifo") gets a message group id and a deduplication id for
// every message, by default the event's partitionkey extension (else its
// source) and a SHA-256 of its source and id; WithGroupID and
// WithDeduplicationID take them from elsewhere. An id that SNS would
// refuse fails that event with ErrInvalidKey.
//
// The publisher is safe for concurrent use and sends synchronously:
// Close waits for the calls in flight and makes later calls fail with
// ErrClosed.
//
// Tests run the real SDK client against GoAWS (github.com/Admiral-Piett/goaws,
// in process, on 127.0.0.1), which speaks SNS's query protocol for
// Publish and delivers to an HTTP subscriber, and, for PublishBatch, which
// GoAWS does not implement, against a loopback server on 127.0.0.1 that
// implements it with SNS's request checks, limits and XML error shapes.
package snspub
