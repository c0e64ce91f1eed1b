// Package busbatch holds what the batching bus publishers (events/sqspub,
// events/snspub, events/eventbridgepub) share: Publisher, the Publish loop
// that checks every event, cuts the good ones into batches by count and
// by bytes and sends the batches one after another, stopping at the first
// call that fails as a whole or at a cancelled context; Match, which reads
// a batch answer that names its entries by id; Refused, which classifies
// an entry the service refused; and the close gate behind Close.
//
// The publishers keep their own API, encoding and service calls; a
// Publisher only knows entries of some type E, their sizes and two
// functions, Encode and Send.
package busbatch

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

// Config describes one publisher to New.
type Config[E any] struct {
	// Name is the publisher's package name, the first word of the errors
	// Publisher makes ("sqspub").
	Name string
	// Closed is the sentinel that Publish returns, permanent, after Close.
	Closed error
	// Batch is how many entries one call carries at the most, 1 to
	// MaxBatch; New refuses other values.
	Batch, MaxBatch int
	// Bytes is the most bytes the entries of one call may add up to; an
	// entry larger on its own still goes, alone (Encode refuses entries
	// that are too large).
	Bytes int
	// Encode checks one event of a Publish call and returns its entry and
	// the entry's size in bytes, or the error that event fails with.
	Encode func(e *event.Event) (E, int, error)
	// Send makes one call for a batch of entries (in Publish order). It
	// reports each entry the service did not take through fail, by its
	// position j in batch, or returns an error when the call failed as a
	// whole: then every entry of batch fails with that error, and so does
	// every later one of the Publish call. It does not do both.
	Send func(ctx context.Context, batch []E, fail func(j int, err error)) error
}

// Publisher runs the Publish calls of one bus publisher. Create it with
// New; it is safe for concurrent use.
type Publisher[E any] struct {
	cfg Config[E]

	mu     sync.RWMutex // held shared by Publish, exclusively by Close
	closed bool
}

// New returns a Publisher for cfg, or an error naming cfg.Name if
// cfg.Batch is not between 1 and cfg.MaxBatch.
func New[E any](cfg Config[E]) (*Publisher[E], error) {
	if cfg.Batch < 1 || cfg.Batch > cfg.MaxBatch {
		return nil, fmt.Errorf("%s: batch size %d is not between 1 and %d", cfg.Name, cfg.Batch, cfg.MaxBatch)
	}
	return &Publisher[E]{cfg: cfg}, nil
}

// meta is where an entry comes from and how large it is.
type meta struct{ index, size int }

// Publish follows the events.Publisher contract: it encodes every event,
// fails those Encode refuses, and sends the others in batches of at most
// Batch entries and Bytes bytes, one call after another, in order. After
// Close it returns Closed (permanent); with a context already done it
// returns the context's error and sends nothing; a context done between
// two calls fails the entries not sent yet with "Name: not sent: " and
// its error. Failures come back as an *events.PublishError in index order.
func (p *Publisher[E]) Publish(ctx context.Context, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return handler.Permanent(p.cfg.Closed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", p.cfg.Name, err)
	}
	var fails []events.Failure
	fail := func(i int, err error) {
		f := events.Failure{Index: i, Err: err}
		if evs[i].Context != nil {
			f.ID, f.Source = evs[i].ID(), evs[i].Source()
		}
		fails = append(fails, f)
	}
	ready := make([]E, 0, len(evs))
	metas := make([]meta, 0, len(evs))
	for i := range evs {
		en, size, err := p.cfg.Encode(&evs[i])
		if err != nil {
			fail(i, err)
			continue
		}
		ready = append(ready, en)
		metas = append(metas, meta{i, size})
	}
	var stop error
	for len(ready) > 0 {
		n, total := 0, 0
		for n < len(ready) && n < p.cfg.Batch && (n == 0 || total+metas[n].size <= p.cfg.Bytes) {
			total += metas[n].size
			n++
		}
		batch, from := ready[:n], metas[:n]
		ready, metas = ready[n:], metas[n:]
		if stop == nil {
			if err := ctx.Err(); err != nil {
				stop = fmt.Errorf("%s: not sent: %w", p.cfg.Name, err)
			}
		}
		if stop == nil {
			stop = p.cfg.Send(ctx, batch, func(j int, err error) { fail(from[j].index, err) })
		}
		if stop != nil {
			for _, m := range from {
				fail(m.index, stop)
			}
		}
	}
	if len(fails) == 0 {
		return nil
	}
	sort.SliceStable(fails, func(a, b int) bool { return fails[a].Index < fails[b].Index })
	return &events.PublishError{Total: len(evs), Failures: fails}
}

// Close waits for the Publish calls in flight; later calls fail with
// Closed. Closing twice is allowed.
func (p *Publisher[E]) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

// ID is the id of the entry at position j of a batch, as Match reads it.
func ID(j int) string { return strconv.Itoa(j) }

// Match reports through fail the entries of a batch of n that an answer
// naming its entries by id (ID of their position) does not count as sent.
// sentID reads the id of each of sent, the entries the service took;
// refusal reads the id of each of refused, the entries it did not take,
// and the error that entry fails with. An entry fails with its refusal
// unless the answer lists it as sent or refused it already; an entry the
// answer names neither way fails with missing(j). Ids that name no entry
// of the batch are passed over.
func Match[S, R any](n int, sent []S, sentID func(S) *string, refused []R, refusal func(R) (*string, error), missing func(j int) error, fail func(j int, err error)) {
	done := make([]bool, n)
	for _, s := range sent {
		if j, ok := index(sentID(s), n); ok {
			done[j] = true
		}
	}
	for _, r := range refused {
		id, err := refusal(r)
		j, ok := index(id, n)
		if !ok || done[j] {
			continue
		}
		done[j] = true
		fail(j, err)
	}
	for j, ok := range done {
		if !ok {
			fail(j, missing(j))
		}
	}
}

// index reads the position that id names in a batch of n.
func index(id *string, n int) (int, bool) {
	if id == nil {
		return 0, false
	}
	j, err := strconv.Atoi(*id)
	return j, err == nil && j >= 0 && j < n
}

// Refused gives err, the error of an entry the service refused with code,
// its class: throttled for a code in throttle; retryable for a code in
// retry or, if serverFault, for any code (the service says the fault is
// its own); permanent otherwise.
func Refused(err error, code string, throttle, retry map[string]bool, serverFault bool) error {
	switch {
	case throttle[code]:
		return handler.Throttled(err, 0)
	case retry[code] || serverFault:
		return handler.Retryable(err)
	}
	return handler.Permanent(err)
}

// Deref returns *s, or "" for nil.
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
