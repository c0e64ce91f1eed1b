// Package examples holds complete, tested fnkit functions, one per
// directory, that double as the templates of "fnkit new": Templates embeds
// their sources (tests included) for the CLI to copy.
//
//	hello              the smallest function: a typed handler over HTTP
//	http-api           an HTTP API with idempotent creates, gets and paginated
//	                   lists over any state store
//	storage-processor  reacts to an uploaded object and publishes a follow-up event,
//	                   unchanged on Lambda, Cloud Functions, Knative and plain HTTP
//	queue-worker       an SQS worker on Lambda with partial batch failures
//	saga               an order workflow across event handlers, with compensation
//	                   on failure, driven by events and state
//	scheduled-job      a nightly job over a state store, idempotent per tick, on
//	                   EventBridge schedules, Cloud Scheduler and PingSource
package examples

import "embed"

// Templates holds the sources of the examples, each under its directory
// name.
//
//go:embed hello http-api storage-processor queue-worker saga scheduled-job
var Templates embed.FS
