package orders

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state/memstore"
)

func TestListPages(t *testing.T) {
	ctx := context.Background()
	svc := NewService(memstore.New(), fixedClock, sequentialIDs())
	if orders, next, err := svc.List(ctx, "", 10); err != nil || len(orders) != 0 || next != "" {
		t.Fatalf("empty: %v %q %v", orders, next, err)
	}
	for range 5 {
		if _, err := svc.Create(ctx, CreateOrder{Customer: "ada@example.com", Items: []Line{{SKU: "tea", Qty: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	after := ""
	for page := 0; ; page++ {
		orders, next, err := svc.List(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range orders {
			seen = append(seen, o.ID)
		}
		if next == "" {
			break
		}
		if len(orders) != 2 || next != orders[1].ID || page > 3 {
			t.Fatalf("page %d: %d orders, next %q", page, len(orders), next)
		}
		after = next
	}
	if fmt.Sprint(seen) != "[ord-1 ord-2 ord-3 ord-4 ord-5]" {
		t.Fatalf("listed %v", seen)
	}
	for _, bad := range []struct {
		after string
		limit int
	}{{"", 0}, {"", MaxPageSize + 1}, {"nope", 2}} {
		if _, _, err := svc.List(ctx, bad.after, bad.limit); !errors.Is(err, ErrBadPage) || handler.ClassOf(err) != handler.ClassInvalidInput {
			t.Errorf("List(%q, %d): %v", bad.after, bad.limit, err)
		}
	}
}

// TestConcurrentCreatesAreAllListed: the index is updated by
// compare-and-swap, so no concurrent create is lost from it.
func TestConcurrentCreatesAreAllListed(t *testing.T) {
	ctx := context.Background()
	var n int64
	var mu sync.Mutex
	svc := NewService(memstore.New(), fixedClock, func() string { mu.Lock(); defer mu.Unlock(); n++; return fmt.Sprint("c-", n) })
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if _, err := svc.Create(ctx, CreateOrder{Customer: "ada@example.com", Items: []Line{{SKU: "tea", Qty: 1}}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	orders, next, err := svc.List(ctx, "", MaxPageSize)
	if err != nil || len(orders) != 30 || next != "" {
		t.Fatalf("%d orders listed, next %q, err %v", len(orders), next, err)
	}
}
