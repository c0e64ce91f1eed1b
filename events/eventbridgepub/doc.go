// Package eventbridgepub publishes CloudEvents to an Amazon EventBridge
// event bus through the events.Publisher port, with the AWS SDK for Go v2
// (PutEvents).
//
// Each event is one PutEvents entry mapped the way fnkit's Lambda adapter
// (events.FromEventBridge) maps EventBridge events back:
//
//	Source      the event's source
//	DetailType  the event's type
//	Time        the event's time, if set
//	Resources   the subject when it is an ARN (WithResources changes it)
//	Detail      the whole event in CloudEvents structured mode (JSON)
//
// so rules can match on source and detail-type, patterns on detail.data,
// detail.subject or any extension, and a target that is an fnkit function
// receives the very same CloudEvent: the adapter unwraps a detail that is
// a structured CloudEvent. Data that is not JSON travels as data_base64.
//
// Publish sends the entries in PutEvents calls of up to ten
// (WithBatchSize) and at most 256 KiB in total, one after another. The
// entries the bus refuses (ErrorCode in the answer) are reported as an
// *events.PublishError listing exactly those events: ThrottlingException
// is handler.ClassThrottled, InternalFailure and other service faults are
// retryable, anything else (MalformedDetail, InvalidArgument,
// AccessDeniedException, NotAuthorizedForSourceException) is permanent.
// When a call fails as a whole its events and the later ones are reported
// failed; nothing is reported as sent that was not.
//
// Entries are checked before sending, as EventBridge sizes them (14 bytes
// for a time, plus the UTF-8 bytes of source, detail-type, detail and
// every resource): an event over 256 KiB fails alone with ErrTooLarge; a
// type of more than 128 characters or a source beginning with "aws."
// (reserved for AWS services) fails with ErrInvalidEntry.
//
// The publisher is safe for concurrent use and sends synchronously:
// Close waits for the calls in flight and makes later calls fail with
// ErrClosed.
//
// Tests: no EventBridge emulator can be installed here, so the tests run
// the real SDK client against a loopback server on 127.0.0.1 that
// implements PutEvents (AWS JSON 1.1) with EventBridge's checks, limits,
// per-entry error codes and error shapes, checks that every request is
// SigV4 signed, and hands each accepted entry to its rule target as the
// EventBridge event a Lambda function receives.
package eventbridgepub
