package coldstart

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestFirstOnceUnderConcurrency(t *testing.T) {
	for range 50 {
		var d Detector
		var firsts atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if d.First() {
					firsts.Add(1)
				}
			}()
		}
		wg.Wait()
		if firsts.Load() != 1 {
			t.Fatalf("%d first invocations", firsts.Load())
		}
		if d.First() {
			t.Fatal("First true again")
		}
	}
}

func TestSince(t *testing.T) {
	d := New()
	time.Sleep(5 * time.Millisecond)
	if s := d.Since(); s < 5*time.Millisecond || s > time.Minute {
		t.Fatalf("Since %v", s)
	}
	var z Detector
	if z.Since() != 0 {
		t.Fatal("zero Detector Since")
	}
}
