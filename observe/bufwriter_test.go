package observe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/middleware"
)

// countingWriter records each Write it receives.
type countingWriter struct {
	mu     sync.Mutex
	writes [][]byte
	fail   error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *countingWriter) all() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, w := range c.writes {
		b.Write(w)
	}
	return b.String(), len(c.writes)
}

func TestBufferedWriterBatches(t *testing.T) {
	cw := &countingWriter{}
	bw := NewBufferedWriter(cw, 100, 0)
	for i := range 10 {
		if _, err := fmt.Fprintf(bw, "line %02d ...........\n", i); err != nil { // 20 bytes
			t.Fatal(err)
		}
	}
	out, n := cw.all()
	if n != 1 || strings.Count(out, "\n") != 5 {
		t.Fatalf("%d writes, %q: want one write of the first 5 lines", n, out)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	out, n = cw.all()
	if n != 2 || strings.Count(out, "\n") != 10 || !strings.HasSuffix(out, "line 09 ...........\n") {
		t.Fatalf("%d writes: %q", n, out)
	}
	big := strings.Repeat("x", 250) + "\n"
	_, _ = bw.Write([]byte("small\n"))
	_, _ = bw.Write([]byte(big))
	out, _ = cw.all()
	if !strings.HasSuffix(out, "small\n"+big) {
		t.Fatal("a write larger than the buffer overtook the buffer or was split")
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := bw.Write([]byte("late")); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal("second Close")
	}
}

func TestBufferedWriterInterval(t *testing.T) {
	cw := &countingWriter{}
	bw := NewBufferedWriter(cw, 1<<16, 20*time.Millisecond)
	defer bw.Close()
	_, _ = bw.Write([]byte("tick\n"))
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if out, _ := cw.all(); out == "tick\n" {
			return
		}
	}
	t.Fatal("not flushed by the interval")
}

func TestBufferedWriterConcurrentLinesIntact(t *testing.T) {
	cw := &countingWriter{}
	bw := NewBufferedWriter(cw, 512, time.Millisecond)
	lg := slog.New(slog.NewJSONHandler(bw, nil))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				lg.Info("m", "g", g, "i", i)
			}
		}()
	}
	wg.Wait()
	_ = bw.Close()
	out, n := cw.all()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1600 || n >= 1600 {
		t.Fatalf("%d lines in %d writes", len(lines), n)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") {
			t.Fatalf("broken line %q", l)
		}
	}
}

func TestBufferedWriterError(t *testing.T) {
	cw := &countingWriter{fail: errors.New("disk full")}
	bw := NewBufferedWriter(cw, 10, 0)
	_, _ = bw.Write([]byte("12345"))
	if err := bw.Flush(); err == nil || err.Error() != "disk full" {
		t.Fatalf("flush error %v", err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatalf("error returned twice: %v", err)
	}
}

// TestFlushHook: FlushMiddleware writes buffered log lines out at the end
// of each invocation, even without exporters.
func TestFlushHook(t *testing.T) {
	cw := &countingWriter{}
	bw := NewBufferedWriter(cw, 1<<16, 0)
	tel, err := FromEnv(context.Background(), WithoutGlobals(), WithFlushHook(bw.FlushContext), env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	h := handler.Chain(tel.FlushMiddleware(), middleware.Logging(middleware.WithLogger(slog.New(slog.NewJSONHandler(bw, nil)))))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
	for i := range 3 {
		_, _ = h.Handle(context.Background(), handlertest.NewEvent())
		if out, _ := cw.all(); strings.Count(out, `"msg":"invocation"`) != i+1 {
			t.Fatalf("after invocation %d: %q", i+1, out)
		}
	}
}

// BenchmarkLogLine writes Logging's line to a pipe drained by another
// goroutine (as stderr is, under a container runtime or Lambda), directly
// and through a BufferedWriter.
func BenchmarkLogLine(b *testing.B) {
	r, devnull, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	defer devnull.Close()
	for _, c := range []struct {
		name string
		w    func() (io.Writer, func())
	}{
		{"direct-to-pipe", func() (io.Writer, func()) { return devnull, func() {} }},
		{"buffered-64KiB", func() (io.Writer, func()) {
			bw := NewBufferedWriter(devnull, 64<<10, 100*time.Millisecond)
			return bw, func() { _ = bw.Close() }
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			w, done := c.w()
			defer done()
			h := middleware.Logging(middleware.WithLogger(slog.New(slog.NewJSONHandler(w, nil))))(handler.Func(
				func(ctx context.Context, e event.Event) (*event.Event, error) { return nil, nil }))
			e := handlertest.NewEvent()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				_, _ = h.Handle(ctx, e)
			}
		})
	}
}
