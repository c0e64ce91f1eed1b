package idempotency_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/state/memstore"
)

type Payment struct {
	PaymentID string `json:"paymentId"`
	Cents     int    `json:"cents"`
}

func Example() {
	charges := 0
	charge := handler.Typed(func(ctx context.Context, p Payment) (string, error) {
		charges++
		return fmt.Sprintf("charged %d cents (charge #%d)", p.Cents, charges), nil
	})
	// Deduplicate by the payment id in the data, not the event id.
	eng := idempotency.New(memstore.New(),
		idempotency.WithKey(idempotency.KeyFromData(func(p Payment) (string, error) { return p.PaymentID, nil })))
	h := eng.Wrap(charge)

	ctx := context.Background()
	for range 3 { // the platform delivers the same payment three times
		res := handlertest.Invoke(ctx, h, handlertest.NewEvent(handlertest.WithJSON(Payment{PaymentID: "p-1", Cents: 500})))
		fmt.Println(string(res.Reply.Data()))
	}
	res := handlertest.Invoke(ctx, h, handlertest.NewEvent(handlertest.WithJSON(Payment{PaymentID: "p-1", Cents: 900})))
	fmt.Println(errors.Is(res.Err, idempotency.ErrPayloadMismatch), res.Class())
	// Output:
	// charged 500 cents (charge #1)
	// charged 500 cents (charge #1)
	// charged 500 cents (charge #1)
	// true invalid_input
}
