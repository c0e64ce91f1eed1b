package middleware

import (
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/state"
)

// Idempotency makes the handler run at most once per idempotency key, with
// records in store, and answers duplicates with the stored reply. It is
// idempotency.New(store, opts...).Middleware(); see package idempotency for
// the keys, leases and errors.
//
//	h := handler.Chain(middleware.Idempotency(store, idempotency.WithScope("orders")))(h)
func Idempotency(store state.Store, opts ...idempotency.Option) handler.Middleware {
	return idempotency.New(store, opts...).Middleware()
}
