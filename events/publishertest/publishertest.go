// Package publishertest is the conformance suite every events.Publisher
// implementation runs, as state/storetest is for stores.
//
// An implementation's test calls Run with a function that returns, for one
// subtest, the publisher and a way to read what its destination received:
//
//	func TestConformance(t *testing.T) {
//		publishertest.Run(t, func(t *testing.T) publishertest.Target {
//			m := events.NewMemory()
//			return publishertest.Target{Publisher: m, Received: m.Events}
//		})
//	}
//
// Received must return, once Publish has returned, every event the
// destination received so far, in arrival order. newTarget is called once
// per subtest, inside it, so it may start a receiver and stop it in
// t.Cleanup. Subtests run one after another.
//
// The suite checks the contract of events.Publisher as its doc comment
// states it: every attribute, extension and data byte arrives unchanged
// (binary data, unusual header-hostile values, no data), events of one call
// arrive in order, an empty call does nothing, an invalid event fails with
// an invalid-input or permanent error naming its index while its valid
// neighbours are published, a cancelled context fails with its error and
// publishes nothing, the caller's events are neither changed nor aliased,
// and concurrent calls deliver every event exactly once.
package publishertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Target is one publisher under test and the destination it publishes to.
type Target struct {
	// Publisher is the implementation under test.
	Publisher events.Publisher
	// Received returns the events the destination has received, in order.
	Received func() []event.Event
}

// Run runs the conformance suite, one subtest per behaviour.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	tests := []struct {
		name string
		fn   func(*testing.T, Target)
	}{
		{"One", testOne},
		{"None", testNone},
		{"Many", testMany},
		{"Data", testData},
		{"UnusualValues", testUnusualValues},
		{"Invalid", testInvalid},
		{"Mixed", testMixed},
		{"CanceledContext", testCanceledContext},
		{"NoAliasing", testNoAliasing},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t)
			if tg.Publisher == nil || tg.Received == nil {
				t.Fatal("newTarget returned a Target without Publisher or Received")
			}
			tt.fn(t, tg)
		})
	}
}

var seq struct {
	mu sync.Mutex
	n  int
}

// newEvent returns a valid event with a fresh id.
func newEvent(t *testing.T) event.Event {
	t.Helper()
	seq.mu.Lock()
	seq.n++
	n := seq.n
	seq.mu.Unlock()
	e := event.New()
	e.SetID(fmt.Sprintf("pt-%d-%d", time.Now().UnixNano(), n))
	e.SetSource("/publishertest")
	e.SetType("com.example.publishertest")
	return e
}

// full returns an event with every optional attribute set.
func full(t *testing.T) event.Event {
	e := newEvent(t)
	e.SetSubject("orders/42")
	e.SetTime(time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC))
	e.SetDataSchema("https://example.com/schemas/order.json")
	e.SetExtension("tenant", "acme")
	e.SetExtension("priority", "7")
	if err := e.SetData("application/json", map[string]any{"order": 42, "note": "hi"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// canon is an event's observable content, with extensions as strings
// (transports such as HTTP binary mode carry them as strings).
type canon struct {
	SpecVersion, ID, Source, Type, Subject, Time, DataSchema, DataContentType string
	Extensions                                                                map[string]string
	Data                                                                      []byte
}

func canonOf(e event.Event) canon {
	c := canon{Extensions: map[string]string{}}
	if e.Context == nil {
		return c
	}
	c.SpecVersion, c.ID, c.Source, c.Type, c.Subject = e.SpecVersion(), e.ID(), e.Source(), e.Type(), e.Subject()
	if !e.Time().IsZero() {
		c.Time = e.Time().UTC().Format(time.RFC3339Nano)
	}
	c.DataSchema = e.DataSchema()
	c.DataContentType = e.DataContentType()
	for k, v := range e.Extensions() {
		s, err := types.Format(v)
		if err != nil {
			s = fmt.Sprint(v)
		}
		c.Extensions[k] = s
	}
	if len(e.Data()) > 0 {
		c.Data = e.Data()
	}
	return c
}

func wantSame(t *testing.T, got, want event.Event, what string) {
	t.Helper()
	g, w := canonOf(got), canonOf(want)
	if reflect.DeepEqual(g, w) {
		return
	}
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := 0; i < gv.NumField(); i++ {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("%s: %s = %#v, want %#v", what, gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
	t.FailNow()
}

func publish(t *testing.T, tg Target, evs ...event.Event) {
	t.Helper()
	if err := tg.Publisher.Publish(context.Background(), evs...); err != nil {
		t.Fatalf("Publish of %d valid events: %v", len(evs), err)
	}
}

func wantReceived(t *testing.T, tg Target, want ...event.Event) {
	t.Helper()
	got := tg.Received()
	if len(got) != len(want) {
		t.Fatalf("destination received %d events %s, want %d %s", len(got), ids(got), len(want), ids(want))
	}
	for i := range want {
		wantSame(t, got[i], want[i], fmt.Sprintf("received event %d", i))
	}
}

func ids(evs []event.Event) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		if e.Context != nil {
			s[i] = e.ID()
		}
	}
	return "[" + strings.Join(s, " ") + "]"
}

func testOne(t *testing.T, tg Target) {
	e := full(t)
	publish(t, tg, e)
	wantReceived(t, tg, e)
}

func testNone(t *testing.T, tg Target) {
	if err := tg.Publisher.Publish(context.Background()); err != nil {
		t.Fatalf("Publish of no events: %v, want nil", err)
	}
	wantReceived(t, tg)
}

func testMany(t *testing.T, tg Target) {
	evs := make([]event.Event, 5)
	for i := range evs {
		evs[i] = full(t)
		evs[i].SetSubject(fmt.Sprintf("n/%d", i))
	}
	publish(t, tg, evs...)
	more := newEvent(t)
	publish(t, tg, more)
	wantReceived(t, tg, append(evs, more)...)
}

func testData(t *testing.T, tg Target) {
	bin := newEvent(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	_ = bin.SetData("application/octet-stream", all)
	text := newEvent(t)
	_ = text.SetData("text/plain; charset=utf-8", []byte("héllo, wörld\r\n\x00end"))
	none := newEvent(t)
	big := newEvent(t)
	_ = big.SetData("application/json", []byte(`"`+strings.Repeat("x", 256<<10)+`"`))
	publish(t, tg, bin, text, none, big)
	wantReceived(t, tg, bin, text, none, big)
}

func testUnusualValues(t *testing.T, tg Target) {
	e := newEvent(t)
	e.SetID(`id with spaces, "quotes", 100% and é`)
	e.SetSource("https://example.com/a%20b?x=1&y=é")
	e.SetType("com.example.type with space")
	e.SetSubject("naïve/日本語/%41")
	e.SetExtension("note", `a "b" %20 c ü`)
	e.SetExtension("empty", "")
	publish(t, tg, e)
	wantReceived(t, tg, e)
}

// wantRefused checks that err refuses exactly the events at idx as bad
// input, never to be retried.
func wantRefused(t *testing.T, err error, n int, idx ...int) {
	t.Helper()
	if err == nil {
		t.Fatalf("Publish with invalid events at %v returned nil", idx)
	}
	if c := handler.ClassOf(err); c != handler.ClassInvalidInput && c != handler.ClassPermanent {
		t.Errorf("Publish of invalid events: class %v, want invalid_input or permanent (never retried): %v", c, err)
	}
	if got := events.FailedIndexes(err, n); !reflect.DeepEqual(got, idx) {
		t.Errorf("FailedIndexes = %v, want %v (error %v)", got, idx, err)
	}
}

func testInvalid(t *testing.T, tg Target) {
	noType := newEvent(t)
	noType.SetType("")
	err := tg.Publisher.Publish(context.Background(), noType)
	wantRefused(t, err, 1, 0)
	err = tg.Publisher.Publish(context.Background(), event.Event{})
	wantRefused(t, err, 1, 0)
	wantReceived(t, tg)
}

func testMixed(t *testing.T, tg Target) {
	a, b, c, d := newEvent(t), newEvent(t), newEvent(t), newEvent(t)
	b.Context.(*event.EventContextV1).ID = ""
	d.SetSource("")
	err := tg.Publisher.Publish(context.Background(), a, b, c, d)
	wantRefused(t, err, 4, 1, 3)
	var pe *events.PublishError
	if !errors.As(err, &pe) {
		t.Fatalf("Publish with valid and invalid events returned %T (%v), want a *events.PublishError", err, err)
	}
	if pe.Total != 4 {
		t.Errorf("PublishError.Total = %d, want 4", pe.Total)
	}
	wantReceived(t, tg, a, c)
}

func testCanceledContext(t *testing.T, tg Target) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := tg.Publisher.Publish(ctx, newEvent(t), newEvent(t))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with a cancelled context: %v, want an error matching context.Canceled", err)
	}
	if got := events.FailedIndexes(err, 2); !reflect.DeepEqual(got, []int{0, 1}) {
		t.Errorf("FailedIndexes = %v, want [0 1]", got)
	}
	wantReceived(t, tg)
	// The publisher still works afterwards.
	e := newEvent(t)
	publish(t, tg, e)
	wantReceived(t, tg, e)
}

func testNoAliasing(t *testing.T, tg Target) {
	e := full(t)
	data := []byte(`{"n":1}`)
	_ = e.SetData("application/json", data)
	before := e.Clone()
	publish(t, tg, e)
	wantSame(t, e, before, "the caller's event after Publish")
	data[6] = '9'
	e.DataEncoded[6] = '8'
	e.SetExtension("tenant", "changed")
	e.SetSubject("changed")
	wantReceived(t, tg, before)
}

func testConcurrent(t *testing.T, tg Target) {
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	want := map[string]bool{}
	batches := make([][]event.Event, workers)
	for w := range batches {
		for range each {
			e := newEvent(t)
			want[e.ID()] = true
			batches[w] = append(batches[w], e)
		}
	}
	for w := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i += 2 {
				if err := tg.Publisher.Publish(context.Background(), batches[w][i:i+2]...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Publish: %v", err)
	}
	got := tg.Received()
	seen := map[string]int{}
	for _, e := range got {
		seen[e.ID()]++
	}
	var missing, dup []string
	for id := range want {
		switch seen[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			dup = append(dup, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(dup)
	if len(missing) > 0 || len(dup) > 0 || len(got) != len(want) {
		t.Fatalf("after %d concurrent events: received %d; missing %v; duplicated %v", len(want), len(got), missing, dup)
	}
	// Events of one call keep their order.
	pos := map[string]int{}
	for i, e := range got {
		pos[e.ID()] = i
	}
	for _, b := range batches {
		for i := 0; i < each; i += 2 {
			if pos[b[i].ID()] > pos[b[i+1].ID()] {
				t.Fatalf("events %s and %s of one call arrived out of order", b[i].ID(), b[i+1].ID())
			}
		}
	}
}

// Equal reports whether a and b carry the same attributes, extensions
// (compared as strings, as transports carry them) and data bytes: the
// comparison the suite makes between a sent and a received event.
func Equal(a, b event.Event) bool {
	ca, cb := canonOf(a), canonOf(b)
	return reflect.DeepEqual(ca, cb) && bytes.Equal(ca.Data, cb.Data)
}
