package idempotency

import (
	"container/list"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// cache is a small LRU of completed records.
type cache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type cached struct {
	key     string
	hash    []byte
	reply   *event.Event
	expires time.Time
}

func newCache(max int) *cache {
	return &cache{max: max, ll: list.New(), items: make(map[string]*list.Element, max)}
}

func (c *cache) get(key string, now time.Time) (cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return cached{}, false
	}
	ent := el.Value.(*cached)
	if !now.Before(ent.expires) {
		c.ll.Remove(el)
		delete(c.items, key)
		return cached{}, false
	}
	c.ll.MoveToFront(el)
	return *ent, true
}

func (c *cache) put(ent cached) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[ent.key]; ok {
		el.Value = &ent
		c.ll.MoveToFront(el)
		return
	}
	c.items[ent.key] = c.ll.PushFront(&ent)
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cached).key)
	}
}
