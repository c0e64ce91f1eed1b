package busbatch_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/internal/busbatch"
)

var errClosed = errors.New("toy: closed")

// item is the toy publisher's entry: the event's id and a size read from
// its "size" extension (default 1).
type item struct {
	id   string
	size int
}

func encode(e *event.Event) (item, int, error) {
	if err := events.CheckEvent(e); err != nil {
		return item{}, 0, err
	}
	if strings.HasPrefix(e.ID(), "bad") {
		return item{}, 0, handler.Permanent(errors.New("toy: bad event"))
	}
	size := 1
	if v, ok := e.Extensions()["size"]; ok {
		size, _ = strconv.Atoi(fmt.Sprint(v))
	}
	return item{e.ID(), size}, size, nil
}

// recorder is a Send that records each batch and answers with answer
// (nil: every entry sent).
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	answer  func(call int, batch []item, fail func(int, error)) error
}

func (r *recorder) send(ctx context.Context, batch []item, fail func(int, error)) error {
	r.mu.Lock()
	call := len(r.batches)
	ids := make([]string, len(batch))
	for j, it := range batch {
		ids[j] = it.id
	}
	r.batches = append(r.batches, ids)
	r.mu.Unlock()
	if r.answer == nil {
		return nil
	}
	return r.answer(call, batch, fail)
}

func newPublisher(t *testing.T, batch, bytes int, r *recorder) *busbatch.Publisher[item] {
	t.Helper()
	p, err := busbatch.New(busbatch.Config[item]{Name: "toy", Closed: errClosed, Batch: batch, MaxBatch: 10, Bytes: bytes,
		Encode: encode, Send: r.send})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ev(id string, size int) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/toy")
	e.SetType("toy.created")
	if size > 0 {
		e.SetExtension("size", size)
	}
	return e
}

func evs(n int) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = ev(fmt.Sprint("e", i), 0)
	}
	return out
}

// failures returns the failed indexes of a Publish error (nil for nil).
func failures(t *testing.T, err error) []events.Failure {
	t.Helper()
	if err == nil {
		return nil
	}
	var pe *events.PublishError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is no *events.PublishError", err, err)
	}
	return pe.Failures
}

func indexes(fs []events.Failure) []int {
	var out []int
	for _, f := range fs {
		out = append(out, f.Index)
	}
	return out
}

func TestNewChecksBatchSize(t *testing.T) {
	for _, n := range []int{0, -1, 11} {
		_, err := busbatch.New(busbatch.Config[item]{Name: "toy", Batch: n, MaxBatch: 10, Bytes: 1, Encode: encode, Send: (&recorder{}).send})
		if err == nil || err.Error() != fmt.Sprintf("toy: batch size %d is not between 1 and 10", n) {
			t.Errorf("New with batch %d: %v", n, err)
		}
	}
	for _, n := range []int{1, 10} {
		if _, err := busbatch.New(busbatch.Config[item]{Name: "toy", Batch: n, MaxBatch: 10, Bytes: 1, Encode: encode, Send: (&recorder{}).send}); err != nil {
			t.Errorf("New with batch %d: %v", n, err)
		}
	}
}

func TestBatchesByCount(t *testing.T) {
	r := &recorder{}
	p := newPublisher(t, 10, 1<<20, r)
	if err := p.Publish(context.Background(), evs(25)); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	var all []string
	for _, b := range r.batches {
		sizes = append(sizes, len(b))
		all = append(all, b...)
	}
	if !reflect.DeepEqual(sizes, []int{10, 10, 5}) {
		t.Errorf("batch sizes %v, want [10 10 5]", sizes)
	}
	for i, id := range all {
		if id != fmt.Sprint("e", i) {
			t.Fatalf("entry %d is %s: order not kept (%v)", i, id, all)
		}
	}

	r = &recorder{}
	p = newPublisher(t, 3, 1<<20, r)
	if err := p.Publish(context.Background(), evs(7)); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"e0", "e1", "e2"}, {"e3", "e4", "e5"}, {"e6"}}; !reflect.DeepEqual(r.batches, want) {
		t.Errorf("batches %v, want %v", r.batches, want)
	}
}

func TestBatchesByBytes(t *testing.T) {
	r := &recorder{}
	p := newPublisher(t, 10, 100, r)
	// 40+40 fit, a third 40 would make 120; 120 alone is over the limit
	// but goes alone (Encode decides what is too large); 50+50 is exactly
	// the limit.
	in := []event.Event{ev("a", 40), ev("b", 40), ev("c", 40), ev("d", 120), ev("e", 10), ev("f", 50), ev("g", 50), ev("h", 1)}
	if err := p.Publish(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "b"}, {"c"}, {"d"}, {"e", "f"}, {"g", "h"}}
	if !reflect.DeepEqual(r.batches, want) {
		t.Errorf("batches %v, want %v", r.batches, want)
	}

	r = &recorder{}
	p = newPublisher(t, 10, 100, r)
	if err := p.Publish(context.Background(), []event.Event{ev("a", 50), ev("b", 50), ev("c", 1)}); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"a", "b"}, {"c"}}; !reflect.DeepEqual(r.batches, want) {
		t.Errorf("batches %v, want %v: a batch of exactly Bytes must go together", r.batches, want)
	}
}

func TestEncodeFailuresAreNotSent(t *testing.T) {
	r := &recorder{}
	p := newPublisher(t, 10, 1<<20, r)
	in := evs(4)
	in[1] = ev("bad1", 0)
	in[3] = event.Event{} // no context: CheckEvent refuses it
	err := p.Publish(context.Background(), in)
	fs := failures(t, err)
	if !reflect.DeepEqual(indexes(fs), []int{1, 3}) {
		t.Fatalf("failed %v, want [1 3] (%v)", indexes(fs), err)
	}
	if fs[0].ID != "bad1" || fs[0].Source != "/toy" || handler.ClassOf(fs[0].Err) != handler.ClassPermanent {
		t.Errorf("failure 0: %+v", fs[0])
	}
	if fs[1].ID != "" || fs[1].Source != "" || handler.ClassOf(fs[1].Err) != handler.ClassInvalidInput {
		t.Errorf("failure of an event without context: %+v", fs[1])
	}
	var pe *events.PublishError
	if !errors.As(err, &pe) || pe.Total != 4 {
		t.Errorf("Publish error %v, want a PublishError with Total 4", err)
	}
	if want := [][]string{{"e0", "e2"}}; !reflect.DeepEqual(r.batches, want) {
		t.Errorf("sent %v, want %v", r.batches, want)
	}
}

func TestPartialFailures(t *testing.T) {
	refuse := errors.New("toy: refused")
	r := &recorder{answer: func(call int, batch []item, fail func(int, error)) error {
		switch call {
		case 0:
			fail(2, refuse)
		case 1:
			fail(0, refuse)
			fail(1, refuse)
		}
		return nil
	}}
	p := newPublisher(t, 3, 1<<20, r)
	in := evs(7)
	in[4] = ev("bad4", 0)
	fs := failures(t, p.Publish(context.Background(), in))
	// Batches: [0 1 2] [3 5 6]: entry 2 of the first is event 2, entries
	// 0 and 1 of the second are events 3 and 5; 4 failed to encode.
	if got := indexes(fs); !reflect.DeepEqual(got, []int{2, 3, 4, 5}) {
		t.Fatalf("failed %v, want [2 3 4 5]", got)
	}
	for _, f := range fs {
		if f.Index != 4 && (!errors.Is(f.Err, refuse) || f.ID != in[f.Index].ID()) {
			t.Errorf("failure %+v", f)
		}
	}
}

func TestCallFailureStopsTheRest(t *testing.T) {
	down := handler.Throttled(errors.New("toy: down"), 0)
	r := &recorder{answer: func(call int, _ []item, _ func(int, error)) error {
		if call == 1 {
			return down
		}
		return nil
	}}
	p := newPublisher(t, 2, 1<<20, r)
	fs := failures(t, p.Publish(context.Background(), evs(7)))
	if got := indexes(fs); !reflect.DeepEqual(got, []int{2, 3, 4, 5, 6}) {
		t.Fatalf("failed %v, want [2 3 4 5 6]", got)
	}
	for _, f := range fs {
		if !errors.Is(f.Err, down) || handler.ClassOf(f.Err) != handler.ClassThrottled {
			t.Errorf("failure %d: %v", f.Index, f.Err)
		}
	}
	if len(r.batches) != 2 {
		t.Errorf("%d calls after the call that failed as a whole, want none: %v", len(r.batches)-2, r.batches)
	}
}

func TestContextCancelledMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &recorder{answer: func(call int, _ []item, _ func(int, error)) error {
		if call == 1 {
			cancel() // the call itself succeeds; the ones after it must not be made
		}
		return nil
	}}
	p := newPublisher(t, 2, 1<<20, r)
	fs := failures(t, p.Publish(ctx, evs(7)))
	if got := indexes(fs); !reflect.DeepEqual(got, []int{4, 5, 6}) {
		t.Fatalf("failed %v, want [4 5 6]", got)
	}
	for _, f := range fs {
		if !errors.Is(f.Err, context.Canceled) || !strings.HasPrefix(f.Err.Error(), "toy: not sent: ") || !handler.ClassOf(f.Err).Retry() {
			t.Errorf("failure %d: %v (class %v)", f.Index, f.Err, handler.ClassOf(f.Err))
		}
	}
	if len(r.batches) != 2 {
		t.Errorf("%d calls, want 2: %v", len(r.batches), r.batches)
	}
}

func TestContextDoneBefore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &recorder{}
	p := newPublisher(t, 10, 1<<20, r)
	err := p.Publish(ctx, evs(3))
	var pe *events.PublishError
	if !errors.Is(err, context.Canceled) || errors.As(err, &pe) || err.Error() != "toy: context canceled" {
		t.Errorf("Publish with a done context: %v", err)
	}
	if len(r.batches) != 0 {
		t.Errorf("sent %v with a done context", r.batches)
	}
	if err := p.Publish(ctx, nil); err != nil {
		t.Errorf("Publish of no events: %v", err)
	}
}

func TestCloseWhilePublishing(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	r := &recorder{answer: func(int, []item, func(int, error)) error {
		close(entered)
		<-release
		return nil
	}}
	p := newPublisher(t, 10, 1<<20, r)
	published := make(chan error, 1)
	go func() { published <- p.Publish(context.Background(), evs(1)) }()
	<-entered
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a Publish was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-published; err != nil {
		t.Errorf("the Publish in flight: %v", err)
	}
	<-closed
	err := p.Publish(context.Background(), evs(1))
	if !errors.Is(err, errClosed) || handler.ClassOf(err) != handler.ClassPermanent {
		t.Errorf("Publish after Close: %v", err)
	}
	p.Close() // twice is allowed
	if len(r.batches) != 1 {
		t.Errorf("%d calls, want 1", len(r.batches))
	}
}

func TestMatch(t *testing.T) {
	type refusal struct {
		id  *string
		err error
	}
	s := func(v string) *string { return &v }
	refused := errors.New("refused")
	for name, c := range map[string]struct {
		n       int
		sent    []*string
		refused []refusal
		want    map[int]string // entry → "refused" or "missing"
	}{
		"all sent":           {3, []*string{s("0"), s("1"), s("2")}, nil, map[int]string{}},
		"one refused":        {3, []*string{s("0"), s("2")}, []refusal{{s("1"), refused}}, map[int]string{1: "refused"}},
		"left out":           {3, []*string{s("0")}, nil, map[int]string{1: "missing", 2: "missing"}},
		"refused and sent":   {2, []*string{s("0"), s("1")}, []refusal{{s("1"), refused}}, map[int]string{}},
		"refused twice":      {2, []*string{s("0")}, []refusal{{s("1"), refused}, {s("1"), refused}}, map[int]string{1: "refused"}},
		"ids naming nothing": {2, []*string{nil, s("x"), s("-1"), s("2"), s("0")}, []refusal{{nil, refused}, {s("9"), refused}}, map[int]string{1: "missing"}},
		"empty answer":       {2, nil, nil, map[int]string{0: "missing", 1: "missing"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := map[int]string{}
			busbatch.Match(c.n, c.sent, func(id *string) *string { return id },
				c.refused, func(r refusal) (*string, error) { return r.id, r.err },
				func(j int) error { return fmt.Errorf("missing %d", j) },
				func(j int, err error) {
					if _, dup := got[j]; dup {
						t.Errorf("entry %d failed twice", j)
					}
					switch {
					case errors.Is(err, refused):
						got[j] = "refused"
					case err.Error() == fmt.Sprint("missing ", j):
						got[j] = "missing"
					default:
						got[j] = err.Error()
					}
				})
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("failed %v, want %v", got, c.want)
			}
		})
	}
}

func TestIDRoundTrip(t *testing.T) {
	for j := range 10 {
		id := busbatch.ID(j)
		var failed []int
		busbatch.Match(10, []string{id}, func(s string) *string { return &s }, []string(nil), nil,
			func(int) error { return errors.New("missing") }, func(k int, _ error) { failed = append(failed, k) })
		if len(failed) != 9 || contains(failed, j) {
			t.Errorf("ID(%d) = %q is not read back as entry %d: failed %v", j, id, j, failed)
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestRefused(t *testing.T) {
	throttle, retry := map[string]bool{"Slow": true}, map[string]bool{"Again": true}
	base := errors.New("refused")
	for _, c := range []struct {
		code        string
		serverFault bool
		want        handler.Class
	}{
		{"Slow", false, handler.ClassThrottled},
		{"Slow", true, handler.ClassThrottled},
		{"Again", false, handler.ClassRetryable},
		{"Other", true, handler.ClassRetryable},
		{"Other", false, handler.ClassPermanent},
		{"", false, handler.ClassPermanent},
	} {
		err := busbatch.Refused(base, c.code, throttle, retry, c.serverFault)
		if got := handler.ClassOf(err); got != c.want || !errors.Is(err, base) {
			t.Errorf("Refused(%q, serverFault %v): class %v, want %v (%v)", c.code, c.serverFault, got, c.want, err)
		}
	}
}

func TestDeref(t *testing.T) {
	v := "x"
	if busbatch.Deref(&v) != "x" || busbatch.Deref(nil) != "" {
		t.Error("Deref")
	}
}
