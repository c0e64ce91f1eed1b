// Package examples holds complete, tested fnkit functions, one per
// directory, that double as the templates of "fnkit new": Templates embeds
// their sources (tests included) for the CLI to copy.
//
//	hello             the smallest function: a typed handler over HTTP
//	orders            an HTTP API with idempotent creates over any state store
//	storage-consumer  reacts to an uploaded object and publishes a follow-up event,
//	                  unchanged on Cloud Functions, Knative and plain HTTP
//	saga              an order workflow across event handlers, with compensation
//	                  on failure, driven by events and state
package examples

import "embed"

// Templates holds the sources of the examples, each under its directory
// name.
//
//go:embed hello orders storage-consumer saga
var Templates embed.FS
