package middleware_test

import (
	"context"
	"fmt"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/middleware"
	"github.com/fnkit/fnkit/state/memstore"
)

func ExampleIdempotency() {
	sent := 0
	notify := handler.TypedNoReply(func(ctx context.Context, msg string) error {
		sent++
		return nil
	})
	h := handler.Chain(middleware.Idempotency(memstore.New(), idempotency.WithScope("notify")))(notify)

	e := handlertest.NewEvent(handlertest.WithData("text/plain", []byte("hello")))
	for range 3 { // at-least-once delivery: the same event three times
		handlertest.Invoke(context.Background(), h, e)
	}
	fmt.Println("sent", sent)
	// Output: sent 1
}
