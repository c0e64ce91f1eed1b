package publishertest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/events/publishertest"
)

// toy is a small Publisher with optional bugs, to prove the suite catches
// them: without bugs it must pass, with any one it must fail.
type toy struct {
	bugs map[string]bool
	mu   sync.Mutex
	got  []event.Event
}

// The bugs toy can have, each with the subtest that must catch it.
var bugs = map[string]string{
	"drop-last":        "Many",            // drops the last event of a call of several
	"reverse":          "Many",            // publishes a call's events in reverse order
	"no-validate":      "Invalid",         // publishes invalid events
	"nil-on-invalid":   "Invalid",         // drops invalid events and returns nil
	"unclassified":     "Invalid",         // invalid events fail with a retryable error
	"reject-all":       "Mixed",           // one invalid event fails the whole call
	"wrong-index":      "Mixed",           // reports failures one index off
	"ignore-ctx":       "CanceledContext", // never looks at ctx
	"alias":            "NoAliasing",      // keeps the caller's events
	"mutate":           "NoAliasing",      // stamps an extension on the caller's event
	"drop-extensions":  "One",             // loses extensions
	"drop-subject":     "One",             // loses the subject
	"time-seconds":     "One",             // truncates time to seconds
	"drop-none":        "None",            // an empty call fails
	"utf8-data":        "Data",            // passes data through a UTF-8 string
	"truncate-data":    "Data",            // keeps at most 64 KiB of data
	"ascii-attributes": "UnusualValues",   // drops non-ASCII bytes of attributes
	"lost-concurrent":  "Concurrent",      // loses events of concurrent calls
}

func newToy(bugs ...string) *toy {
	t := &toy{bugs: map[string]bool{}}
	for _, b := range bugs {
		t.bugs[b] = true
	}
	return t
}

func (p *toy) Publish(ctx context.Context, evs ...event.Event) error {
	if len(evs) == 0 {
		if p.bugs["drop-none"] {
			return errors.New("toy: nothing to publish")
		}
		return nil
	}
	if !p.bugs["ignore-ctx"] && ctx.Err() != nil {
		return fmt.Errorf("toy: %w", ctx.Err())
	}
	var c events.Collector
	var keep []event.Event
	for i := range evs {
		e := &evs[i]
		if !p.bugs["no-validate"] {
			if err := events.CheckEvent(e); err != nil {
				if p.bugs["nil-on-invalid"] {
					continue
				}
				if p.bugs["unclassified"] {
					err = errors.New("toy: invalid")
				}
				if p.bugs["reject-all"] {
					return err
				}
				idx := i
				if p.bugs["wrong-index"] {
					idx++
				}
				c.Fail(idx, e, err)
				continue
			}
		}
		if p.bugs["mutate"] {
			e.SetExtension("toyseen", "1")
		}
		var out event.Event
		if p.bugs["alias"] {
			out = *e
		} else {
			out = e.Clone()
		}
		p.damage(&out)
		keep = append(keep, out)
	}
	if p.bugs["drop-last"] && len(keep) > 1 {
		keep = keep[:len(keep)-1]
	}
	if p.bugs["reverse"] {
		for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
			keep[i], keep[j] = keep[j], keep[i]
		}
	}
	if p.bugs["lost-concurrent"] {
		// Read, then write back later: a lost update under concurrency.
		p.mu.Lock()
		snapshot := append([]event.Event(nil), p.got...)
		p.mu.Unlock()
		time.Sleep(time.Millisecond)
		p.mu.Lock()
		p.got = append(snapshot, keep...)
		p.mu.Unlock()
	} else {
		p.mu.Lock()
		p.got = append(p.got, keep...)
		p.mu.Unlock()
	}
	return c.Err(len(evs))
}

func (p *toy) damage(e *event.Event) {
	if e.Context == nil {
		return
	}
	if p.bugs["drop-extensions"] {
		for k := range e.Extensions() {
			_ = e.Context.SetExtension(k, nil)
		}
	}
	if p.bugs["drop-subject"] {
		e.Context.(*event.EventContextV1).Subject = nil
	}
	if p.bugs["time-seconds"] && !e.Time().IsZero() {
		e.SetTime(e.Time().Truncate(time.Second))
	}
	if p.bugs["utf8-data"] && e.DataEncoded != nil {
		e.DataEncoded = []byte(strings.ToValidUTF8(string(e.DataEncoded), "?"))
	}
	if p.bugs["truncate-data"] && len(e.DataEncoded) > 64<<10 {
		e.DataEncoded = e.DataEncoded[:64<<10]
	}
	if p.bugs["ascii-attributes"] {
		ascii := func(s string) string {
			return strings.Map(func(r rune) rune {
				if r > 127 {
					return -1
				}
				return r
			}, s)
		}
		e.SetSubject(ascii(e.Subject()))
		e.SetID(ascii(e.ID()))
	}
}

func (p *toy) received() []event.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]event.Event, len(p.got))
	for i := range p.got {
		out[i] = p.got[i].Clone()
	}
	return out
}

func target(bugs ...string) func(t *testing.T) publishertest.Target {
	return func(t *testing.T) publishertest.Target {
		p := newToy(bugs...)
		return publishertest.Target{Publisher: p, Received: p.received}
	}
}

func TestToyPasses(t *testing.T) {
	publishertest.Run(t, target())
}

// TestMemory runs the suite on the in-memory publisher.
func TestMemory(t *testing.T) {
	publishertest.Run(t, func(t *testing.T) publishertest.Target {
		m := events.NewMemory()
		return publishertest.Target{Publisher: m, Received: m.Events}
	})
}

// TestToyBug is run in a child process by TestSuiteCatchesBugs.
func TestToyBug(t *testing.T) {
	bug := os.Getenv("PUBLISHERTEST_TOY_BUG")
	if bug == "" {
		t.Skip("run by TestSuiteCatchesBugs")
	}
	publishertest.Run(t, target(bug))
}

// TestSuiteCatchesBugs runs the suite against the toy with each bug in a
// child process and checks that the named subtest fails.
func TestSuiteCatchesBugs(t *testing.T) {
	if os.Getenv("PUBLISHERTEST_TOY_BUG") != "" {
		t.Skip("in the child process")
	}
	for bug, subtest := range bugs {
		t.Run(bug, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestToyBug$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "PUBLISHERTEST_TOY_BUG="+bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a publisher with bug %q", bug)
			}
			if want := "--- FAIL: TestToyBug/" + subtest + " "; !bytes.Contains(out, []byte(want)) {
				t.Fatalf("bug %q: subtest %s did not fail; output:\n%s", bug, subtest, out)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	a := event.New()
	a.SetID("1")
	a.SetSource("/s")
	a.SetType("t")
	_ = a.SetData("text/plain", []byte("x"))
	b := a.Clone()
	if !publishertest.Equal(a, b) {
		t.Fatal("Equal of a clone is false")
	}
	b.SetExtension("n", 1)
	a.SetExtension("n", "1")
	if !publishertest.Equal(a, b) {
		t.Fatal("Equal compares extensions by type, want by string form")
	}
	b.DataEncoded = []byte("y")
	if publishertest.Equal(a, b) {
		t.Fatal("Equal ignores data")
	}
}
