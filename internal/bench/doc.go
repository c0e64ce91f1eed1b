// Package bench holds benchmarks that compare fnkit's adapters with the bare
// alternatives they replace (net/http by hand, the CloudEvents SDK receiver,
// functions-framework-go). It lives apart so that no package a user imports
// links those peers. It has no API; see BENCHMARKS.md for results.
package bench
