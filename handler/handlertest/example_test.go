package handlertest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

type Order struct {
	SKU string `json:"sku" validate:"required"`
	Qty int    `json:"qty" validate:"min=1"`
}

type Confirmation struct {
	Message string `json:"message"`
}

func placeOrder(ctx context.Context, o Order) (Confirmation, error) {
	if o.SKU == "discontinued" {
		return Confirmation{}, handler.Permanent(fmt.Errorf("sku %s is discontinued", o.SKU))
	}
	return Confirmation{Message: fmt.Sprintf("%d × %s", o.Qty, o.SKU)}, nil
}

func Example() {
	h := handler.Typed(placeOrder)
	ctx := context.Background()

	res := handlertest.Invoke(ctx, h, handlertest.NewEvent(
		handlertest.WithType("com.example.order.placed"),
		handlertest.WithJSON(Order{SKU: "tea", Qty: 2}),
	))
	var c Confirmation
	fmt.Println(res.Decode(&c), c.Message, res.Reply.Type())

	res = handlertest.Invoke(ctx, h, handlertest.NewEvent(handlertest.WithJSON(Order{SKU: "tea"})))
	fmt.Println(res.Class(), strings.Contains(res.Err.Error(), "qty"))

	res = handlertest.Invoke(ctx, h, handlertest.NewEvent(handlertest.WithJSON(Order{SKU: "discontinued", Qty: 1})))
	fmt.Println(res.Class(), res.Reply == nil)

	res = handlertest.Invoke(ctx, h, handlertest.NewEvent(handlertest.WithData("application/json", []byte(`{"sku":`))))
	fmt.Println(res.Class())
	// Output:
	// <nil> 2 × tea com.example.order.placed.reply
	// invalid_input true
	// permanent true
	// invalid_input
}
