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
package events
