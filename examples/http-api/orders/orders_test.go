package orders

import (
	"context"
	"testing"
	"time"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

func fixedClock() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) }

func sequentialIDs() func() string {
	n := 0
	return func() string { n++; return "ord-" + string(rune('0'+n)) }
}

func TestCreateAndGet(t *testing.T) {
	svc := NewService(memstore.New(), fixedClock, sequentialIDs())
	h := handler.Typed(svc.Create, handler.WithReplyType(ReplyType))
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithJSON(CreateOrder{
		Customer: "ada@example.com", Items: []Line{{SKU: "tea", Qty: 2}, {SKU: "cup", Qty: 1}},
	})))
	o := handlertest.ReplyAs[Order](t, res)
	if o.ID != "ord-1" || o.Units != 3 || !o.CreatedAt.Equal(fixedClock()) || res.Reply.Type() != ReplyType {
		t.Fatalf("created %+v", o)
	}
	got, err := svc.Get(context.Background(), "ord-1")
	if err != nil || got.Customer != "ada@example.com" || len(got.Items) != 2 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := svc.Get(context.Background(), "nope"); err != ErrNotFound {
		t.Fatalf("Get(nope) = %v", err)
	}
}

func TestCreateRejectsInvalidOrders(t *testing.T) {
	store := memstore.New()
	h := handler.Typed(NewService(store, fixedClock, sequentialIDs()).Create)
	for name, data := range map[string]string{
		"no customer": `{"items":[{"sku":"tea","qty":1}]}`,
		"bad email":   `{"customer":"ada","items":[{"sku":"tea","qty":1}]}`,
		"no items":    `{"customer":"ada@example.com","items":[]}`,
		"zero qty":    `{"customer":"ada@example.com","items":[{"sku":"tea","qty":0}]}`,
		"malformed":   `{"customer":`,
	} {
		t.Run(name, func(t *testing.T) {
			res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithData("application/json", []byte(data))))
			if res.Class() != handler.ClassInvalidInput {
				t.Fatalf("class %v err %v", res.Class(), res.Err)
			}
		})
	}
	if store.Len() != 0 {
		t.Fatalf("invalid orders were stored: %d", store.Len())
	}
}

func TestCreateReportsStoreFailureAsRetryable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewService(memstore.New(), fixedClock, sequentialIDs()).Create(ctx, CreateOrder{Customer: "a@b.c", Items: []Line{{SKU: "x", Qty: 1}}})
	if err == nil || handler.ClassOf(err) != handler.ClassRetryable {
		t.Fatalf("err %v", err)
	}
}
