package handler

import "sync/atomic"

// AccessLog is an adapter's access-log line for one request, which a
// middleware that logs the invocation itself (middleware.Logging) takes
// over, so that a request is logged once. An adapter that keeps an access
// log puts one in the Invocation (Invocation.AccessLog) with the request's
// method and path; the middleware calls Claim and writes Method and Path
// in its own line; the adapter, seeing Claimed, leaves its line out.
// Requests that never reach the middleware (unknown routes, health
// checks, bodies that do not decode) keep the adapter's line.
type AccessLog struct {
	// Method and Path are the request's HTTP method and URL path (never
	// the query, which may carry secrets).
	Method, Path string

	claimed atomic.Bool
}

// Claim tells the adapter that its line is written by the caller. It does
// nothing on a nil AccessLog (no adapter access log).
func (a *AccessLog) Claim() {
	if a != nil {
		a.claimed.Store(true)
	}
}

// Claimed reports whether Claim was called.
func (a *AccessLog) Claimed() bool { return a != nil && a.claimed.Load() }
