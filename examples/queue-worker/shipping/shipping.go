// Package shipping is the business logic of the queue-worker function: a
// Warehouse that ships a Shipment, and NewHandler, which serves it as an
// fnkit handler behind idempotency over the state.Store it is given. No
// Lambda, no SQS in it: command queue-worker (the parent directory) picks
// the adapter and wires it.
package shipping

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/state"
)

// Shipment is one SQS message: ship Qty of SKU for an order.
type Shipment struct {
	OrderID string `json:"orderId" validate:"required"`
	SKU     string `json:"sku" validate:"required"`
	Qty     int    `json:"qty" validate:"min=1,max=100"`
}

// Result is the reply of a direct invocation (a Step Functions task).
type Result struct {
	OrderID string `json:"orderId"`
	Parcels int    `json:"parcels"`
}

// Errors of Ship. The warehouse's answers are classified: a discontinued
// SKU is permanent (retrying cannot help: the message goes to the
// dead-letter destination, or is reported failed), a busy warehouse is
// throttled (retried later).
var (
	ErrDiscontinued  = errors.New("queue-worker: SKU discontinued")
	ErrWarehouseBusy = errors.New("queue-worker: warehouse busy")
)

// Warehouse ships parcels; the example's is a counter that fails on
// purpose for some SKUs, so that every failure class can be seen.
type Warehouse struct {
	shipped atomic.Int64
}

// Shipped returns how many shipments the warehouse has made.
func (w *Warehouse) Shipped() int64 { return w.shipped.Load() }

// Ship ships s: SKU "discontinued" fails for good, "busy" is throttled,
// "flaky" fails with a plain (retryable) error, "panic" panics (a bug).
func (w *Warehouse) Ship(ctx context.Context, s Shipment) (Result, error) {
	switch s.SKU {
	case "discontinued":
		return Result{}, handler.Permanent(fmt.Errorf("%w: %s", ErrDiscontinued, s.SKU))
	case "busy":
		return Result{}, handler.Throttled(ErrWarehouseBusy, 0)
	case "flaky":
		return Result{}, errors.New("queue-worker: warehouse connection reset")
	case "panic":
		panic("queue-worker: a bug in Ship")
	}
	w.shipped.Add(1)
	return Result{OrderID: s.OrderID, Parcels: (s.Qty + 9) / 10}, nil
}

// NewHandler is the worker as an fnkit handler: Ship behind the
// idempotency middleware, so that a message SQS delivers twice (it
// delivers at least once) ships once. The key is the event's source and
// id: the queue ARN and the SQS messageId.
func NewHandler(w *Warehouse, store state.Store) handler.Handler {
	return idempotency.New(store, idempotency.WithScope("queue-worker")).Middleware()(handler.Typed(w.Ship))
}
