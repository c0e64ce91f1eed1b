package observe

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// ErrWriterClosed is returned by a closed BufferedWriter's Write.
var ErrWriterClosed = errors.New("observe: buffered writer closed")

// BufferedWriter collects writes in memory and passes them on to the
// underlying writer in batches: when the next write would overflow the
// buffer, every interval, on Flush and on Close. One log line per
// invocation written straight to stderr costs a system call each; batched,
// a busy function pays one per buffer. A write is never split, and writes
// reach the underlying writer in order. It is safe for concurrent use.
//
// Lines still in the buffer are lost if the process dies before a flush:
// keep the interval short, and flush at the end of each invocation where
// the platform freezes the process (WithFlushHook(bw.FlushContext) makes
// Telemetry.Flush and FlushMiddleware do it).
type BufferedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	size   int
	err    error // the last error of the underlying writer, returned once
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// NewBufferedWriter returns a BufferedWriter of size bytes over w that
// also flushes every interval (zero: only when full, on Flush and on
// Close). Close it to stop its flushing goroutine. A size below 1 or a
// negative interval panics.
func NewBufferedWriter(w io.Writer, size int, interval time.Duration) *BufferedWriter {
	if w == nil || size < 1 || interval < 0 {
		panic("observe: NewBufferedWriter: need a writer, size >= 1 and interval >= 0")
	}
	b := &BufferedWriter{w: w, buf: make([]byte, 0, size), size: size}
	if interval > 0 {
		b.stop, b.done = make(chan struct{}), make(chan struct{})
		go b.loop(interval)
	}
	return b
}

func (b *BufferedWriter) loop(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Write adds p to the buffer, first writing the buffer out if p does not
// fit; a p larger than the buffer is written through at once. It returns
// an error of the underlying writer from an earlier flush, once.
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, ErrWriterClosed
	}
	if len(b.buf)+len(p) > b.size {
		b.flushLocked()
		if len(p) > b.size {
			if _, err := b.w.Write(p); err != nil {
				return 0, err
			}
			return len(p), b.takeErr()
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), b.takeErr()
}

func (b *BufferedWriter) takeErr() error {
	err := b.err
	b.err = nil
	return err
}

func (b *BufferedWriter) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil {
		b.err = err
	}
	b.buf = b.buf[:0]
}

// Flush writes the buffer out now and returns the underlying writer's
// error, if any.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.takeErr()
}

// FlushContext is Flush with the signature of WithFlushHook.
func (b *BufferedWriter) FlushContext(_ context.Context) error { return b.Flush() }

// Close stops the flushing goroutine, flushes and refuses later writes.
// Closing twice is harmless.
func (b *BufferedWriter) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	if b.stop != nil {
		close(b.stop)
		<-b.done
	}
	return b.Flush()
}
