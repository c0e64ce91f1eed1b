package ids

import (
	"regexp"
	"sync"
	"testing"
)

func TestNextIsUniqueUnderConcurrency(t *testing.T) {
	g := New()
	const workers, each = 8, 2000
	seen := sync.Map{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				id := g.Next()
				if _, dup := seen.LoadOrStore(id, true); dup {
					t.Errorf("duplicate id %s", id)
				}
			}
		})
	}
	wg.Wait()
}

func TestFormatAndPrefixes(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{16}-[0-9a-f]+$`)
	a, b := New(), New()
	ida, idb := a.Next(), b.Next()
	if !re.MatchString(ida) || !re.MatchString(idb) {
		t.Fatalf("ids %q %q do not match %s", ida, idb, re)
	}
	if ida[:16] == idb[:16] {
		t.Fatalf("two generators share a random prefix: %s %s", ida, idb)
	}
	if first, second := Next(), Next(); first == second {
		t.Fatal("the shared generator repeats")
	}
}

func BenchmarkNext(b *testing.B) {
	g := New()
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Next()
	}
}
