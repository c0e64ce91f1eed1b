package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/fnkit/fnkit/examples/saga/ordersaga"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

// Example runs the saga as main wires it locally (the default stack in
// front of the idempotent saga, an in-process Bus), with a bus that
// delivers every event twice: the order cannot be shipped, so the payment
// is refunded and the stock released, each once.
func Example() {
	ctx := context.Background()
	store, bus := memstore.New(), ordersaga.NewBus(ordersaga.WithDuplicates())
	shop := ordersaga.NewShop(map[string]int{"tea": 5})
	shop.NoDelivery = []string{"AQ"}
	svc := ordersaga.NewService(store, bus, shop.Ports())
	h := newHandler(svc, slog.New(slog.DiscardHandler))
	order := ordersaga.Order{ID: "o-2", Customer: "ada@example.com", SKU: "tea", Qty: 2, Amount: 1250, Country: "AQ"}
	_ = bus.Publish(ctx, handlertest.NewEvent(handlertest.WithType(ordersaga.TypeOrderPlaced), handlertest.WithJSON(order)))
	if err := bus.Drain(ctx, h); err != nil {
		fmt.Println(err)
	}
	sg, _ := svc.Get(ctx, "o-2")
	fmt.Println(sg.Status, "-", sg.Reason)
	fmt.Println("refund calls:", shop.Calls("refund", "o-2"), "release calls:", shop.Calls("release", "o-2"))
	fmt.Println("stock:", shop.Stock("tea"), "charged:", shop.Charged("o-2"), "dead letters:", len(bus.DeadLetters()))
	// Output:
	// cancelled - saga: no delivery to that country: AQ
	// refund calls: 1 release calls: 1
	// stock: 5 charged: 0 dead letters: 0
}
