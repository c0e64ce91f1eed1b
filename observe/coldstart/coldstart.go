// Package coldstart detects the cold start of a process: the first
// invocation it serves, which pays for start-up. Adapters share it so that
// handler.Invocation.ColdStart means the same everywhere; it links nothing
// beyond the standard library.
package coldstart

import (
	"sync/atomic"
	"time"
)

// Detector reports the first invocation of a process as the cold start.
// Make one per process (in main or in the adapter's constructor), never
// per invocation. Its zero value is ready to use; it is safe for
// concurrent use, and exactly one call of First, among any number of
// concurrent ones, returns true.
type Detector struct {
	served atomic.Bool
	start  time.Time
}

// New returns a Detector that also remembers when the process was ready
// to serve, for Detector.Since.
func New() *Detector { return &Detector{start: time.Now()} }

// First reports whether this is the first invocation: true once, then
// false.
func (d *Detector) First() bool {
	return !d.served.Load() && d.served.CompareAndSwap(false, true)
}

// Since returns how long ago New made d (zero for a zero Detector), for
// logging the time from start-up to the first invocation.
func (d *Detector) Since() time.Duration {
	if d.start.IsZero() {
		return 0
	}
	return time.Since(d.start)
}
