package orders_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fnkit/fnkit/examples/http-api/orders"
	"github.com/fnkit/fnkit/state/memstore"
)

func ExampleService() {
	ids := 0
	svc := orders.NewService(memstore.New(), func() time.Time { return time.Unix(0, 0) }, func() string { ids++; return fmt.Sprint("order-", ids) })
	o, _ := svc.Create(context.Background(), orders.CreateOrder{Customer: "ada@example.com", Items: []orders.Line{{SKU: "tea", Qty: 2}, {SKU: "cup", Qty: 1}}})
	got, _ := svc.Get(context.Background(), o.ID)
	fmt.Println(got.ID, got.Units)
	_, err := svc.Get(context.Background(), "order-9")
	fmt.Println(err)
	// Output:
	// order-1 3
	// orders: not found
}
