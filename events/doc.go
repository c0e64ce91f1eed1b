// Package events holds CloudEvent constructors and decoders; platform event
// <-> CloudEvent mappings (AWS, GCP); and the Publisher port.
//
// # Publishing
//
// Publisher is the outbound port: Publish(ctx, events...) sends CloudEvents
// and reports per event what failed (*PublishError, FailedIndexes), with
// handler error classes so that only failures retrying can fix are retried.
// Memory records events for tests and asserts what was published (run
// by the events/publishertest conformance suite, like every Publisher).
package events
