// Package orders is the business logic of the orders API, with no
// platform in it: Service (create, get, list orders over the state.Store
// it is given, with injected clock and id seams) and Routes, the HTTP API
// over a Service. Command orders (the parent directory) picks the store
// and the adapter and wires them.
package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
)

// CreateOrder is the data of a create request.
type CreateOrder struct {
	Customer string `json:"customer" validate:"required,email,max=254"`
	Items    []Line `json:"items" validate:"required,min=1,max=100,dive"`
}

// Line is one line of an order.
type Line struct {
	SKU string `json:"sku" validate:"required,max=64"`
	Qty int    `json:"qty" validate:"min=1,max=1000"`
}

// Order is a stored order.
type Order struct {
	ID        string    `json:"id"`
	Customer  string    `json:"customer"`
	Items     []Line    `json:"items"`
	Units     int       `json:"units"`
	CreatedAt time.Time `json:"createdAt"`
}

// ErrNotFound is returned by Get for an unknown order.
var ErrNotFound = errors.New("orders: not found")

// Service is the business logic: no HTTP, no platform.
type Service struct {
	store state.Store
	now   func() time.Time
	newID func() string
}

// NewService returns a Service that keeps orders in store under the
// "orders/" prefix.
func NewService(store state.Store, now func() time.Time, newID func() string) *Service {
	return &Service{store: store, now: now, newID: newID}
}

func orderKey(id string) string { return "orders/" + id }

// indexKey holds the ids of all orders in creation order, for List. One
// record keeps the example small; it holds some thousands of ids (a store's
// item limit, e.g. DynamoDB's 400 KB): shard it by month for more.
const indexKey = "orders-index"

// Create stores a new order. Retries of one request are made safe by the
// idempotency middleware in front of it, not here. The id goes into the
// index first: if the order then fails to be saved, List skips the id.
func (s *Service) Create(ctx context.Context, in CreateOrder) (Order, error) {
	o := Order{ID: s.newID(), Customer: in.Customer, Items: in.Items, CreatedAt: s.now().UTC()}
	for _, l := range in.Items {
		o.Units += l.Qty
	}
	b, err := json.Marshal(o)
	if err != nil {
		return Order{}, fmt.Errorf("orders: encoding: %w", err)
	}
	if _, _, err := state.NewTyped[[]string](s.store).Update(ctx, indexKey, 0, func(ids []string, _ bool) ([]string, error) {
		return append(ids, o.ID), nil
	}); err != nil {
		return Order{}, fmt.Errorf("orders: indexing %s: %w", o.ID, err)
	}
	if _, err := s.store.Create(ctx, orderKey(o.ID), b, 0); err != nil {
		if errors.Is(err, state.ErrAlreadyExists) {
			// A fresh id collided: a bug in newID, not the client's fault.
			return Order{}, handler.Permanent(fmt.Errorf("orders: id %s already used: %w", o.ID, err))
		}
		return Order{}, fmt.Errorf("orders: saving %s: %w", o.ID, err)
	}
	return o, nil
}

// Get returns the order with id, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (Order, error) {
	it, err := s.store.Get(ctx, orderKey(id))
	if errors.Is(err, state.ErrNotFound) || errors.Is(err, state.ErrInvalidKey) {
		return Order{}, ErrNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("orders: loading %s: %w", id, err)
	}
	var o Order
	if err := json.Unmarshal(it.Value, &o); err != nil {
		return Order{}, fmt.Errorf("orders: decoding %s: %w", id, err)
	}
	return o, nil
}

// Page limits of List.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// ErrBadPage is returned by List for a limit out of range or an unknown
// cursor; it is invalid input.
var ErrBadPage = errors.New("orders: bad page request")

// List returns up to limit orders created after the order with id after
// (from the first when after is empty), oldest first, and the cursor of the
// next page ("" on the last one).
func (s *Service) List(ctx context.Context, after string, limit int) ([]Order, string, error) {
	if limit < 1 || limit > MaxPageSize {
		return nil, "", handler.InvalidInput(fmt.Errorf("%w: limit %d is not between 1 and %d", ErrBadPage, limit, MaxPageSize))
	}
	ids, _, err := state.NewTyped[[]string](s.store).Get(ctx, indexKey)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, "", fmt.Errorf("orders: loading the index: %w", err)
	}
	start := 0
	if after != "" {
		start = -1
		for i, id := range ids {
			if id == after {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, "", handler.InvalidInput(fmt.Errorf("%w: no order %q to list after", ErrBadPage, after))
		}
	}
	orders := make([]Order, 0, min(limit, len(ids)-start))
	i := start
	for ; i < len(ids) && len(orders) < limit; i++ {
		o, err := s.Get(ctx, ids[i])
		if errors.Is(err, ErrNotFound) {
			continue // indexed, then not saved
		}
		if err != nil {
			return nil, "", err
		}
		orders = append(orders, o)
	}
	next := ""
	if i < len(ids) && len(orders) > 0 {
		next = orders[len(orders)-1].ID
	}
	return orders, next, nil
}
