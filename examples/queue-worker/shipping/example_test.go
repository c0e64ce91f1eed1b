package shipping

import (
	"context"
	"fmt"

	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

func Example() {
	h := NewHandler(&Warehouse{}, memstore.New())
	res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithJSON(Shipment{OrderID: "o-1", SKU: "tea", Qty: 12})))
	var r Result
	_ = res.Decode(&r)
	fmt.Println(r.OrderID, r.Parcels, res.Err)
	// Output: o-1 2 <nil>
}
