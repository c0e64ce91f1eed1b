package ordersaga

import (
	"context"
	"fmt"

	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

// The saga in a unit test: an in-process Bus delivers each step's event to
// the next; the card is declined, so the stock is released and the order
// cancelled.
func Example() {
	ctx := context.Background()
	store, bus := memstore.New(), NewBus()
	shop := NewShop(map[string]int{"tea": 5})
	svc := NewService(store, bus, shop.Ports())
	h := svc.Handler()
	order := Order{ID: "o-1", Customer: "ada@example.com", SKU: "tea", Qty: 2, Amount: 900_000, Country: "FR"}
	_ = bus.Publish(ctx, handlertest.NewEvent(handlertest.WithType(TypeOrderPlaced), handlertest.WithJSON(order)))
	if err := bus.Drain(ctx, h); err != nil {
		fmt.Println(err)
	}
	sg, _ := svc.Get(ctx, "o-1")
	fmt.Println(sg.Status, "-", sg.Reason)
	fmt.Println("stock:", shop.Stock("tea"), "release calls:", shop.Calls("release", "o-1"))
	// Output:
	// cancelled - saga: card declined: 900000 cents for ada@example.com is over the limit
	// stock: 5 release calls: 1
}
