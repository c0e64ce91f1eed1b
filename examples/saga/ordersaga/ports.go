package ordersaga

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fnkit/fnkit/handler"
)

// Permanent failures of the steps.
var (
	ErrOutOfStock = errors.New("saga: out of stock")
	ErrDeclined   = errors.New("saga: card declined")
	ErrNoDelivery = errors.New("saga: no delivery to that country")
)

// Shop is an in-memory Inventory, Payments and Shipping, for local runs
// and tests: stock per SKU, charges per order, shipments per order. Every
// call is idempotent per order id, as real ones must be, and counted.
// SetFail injects failures. Safe for concurrent use.
type Shop struct {
	// MaxCharge is the largest amount charged; more is declined.
	MaxCharge int64
	// NoDelivery lists the countries not shipped to.
	NoDelivery []string
	mu         sync.Mutex
	stock      map[string]int
	reserved   map[string]reservation
	charged    map[string]int64
	shipped    map[string]string
	calls      map[string]int
	fail       func(op, orderID string) error
}

type reservation struct {
	sku string
	qty int
}

// NewShop returns a Shop with stock units of each SKU.
func NewShop(stock map[string]int) *Shop {
	s := &Shop{MaxCharge: 100_000, stock: map[string]int{}, reserved: map[string]reservation{},
		charged: map[string]int64{}, shipped: map[string]string{}, calls: map[string]int{}}
	for k, v := range stock {
		s.stock[k] = v
	}
	return s
}

// Ports returns the shop as the saga's ports.
func (s *Shop) Ports() Ports { return Ports{Inventory: s, Payments: s, Shipping: s} }

// SetFail makes fail, if not nil, be asked before each operation
// ("reserve", "release", "charge", "refund", "ship"): an error it returns
// is the operation's (use handler.Permanent for a failure for good). Nil
// removes it.
func (s *Shop) SetFail(fail func(op, orderID string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

// Calls returns how many times op was called for orderID, failed calls
// included.
func (s *Shop) Calls(op, orderID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op+" "+orderID]
}

// Stock returns the units of sku in stock (not reserved).
func (s *Shop) Stock(sku string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stock[sku]
}

// Charged returns the amount charged to orderID and not refunded.
func (s *Shop) Charged(orderID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.charged[orderID]
}

// Tracking returns the tracking number of orderID's shipment, if shipped.
func (s *Shop) Tracking(orderID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shipped[orderID]
}

// enter counts a call and asks Fail; it returns with s.mu held if the call
// goes on.
func (s *Shop) enter(op, orderID string) error {
	s.mu.Lock()
	s.calls[op+" "+orderID]++
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		if err := fail(op, orderID); err != nil {
			return err
		}
	}
	s.mu.Lock()
	return nil
}

// Reserve takes qty units of sku for orderID.
func (s *Shop) Reserve(ctx context.Context, orderID, sku string, qty int) error {
	if err := s.enter("reserve", orderID); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.reserved[orderID]; ok {
		return nil
	}
	if s.stock[sku] < qty {
		return handler.Permanent(fmt.Errorf("%w: %d of %s wanted, %d left", ErrOutOfStock, qty, sku, s.stock[sku]))
	}
	s.stock[sku] -= qty
	s.reserved[orderID] = reservation{sku, qty}
	return nil
}

// Release puts orderID's reserved units back.
func (s *Shop) Release(ctx context.Context, orderID string) error {
	if err := s.enter("release", orderID); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if r, ok := s.reserved[orderID]; ok {
		s.stock[r.sku] += r.qty
		delete(s.reserved, orderID)
	}
	return nil
}

// Charge charges amount for orderID; an amount over MaxCharge is declined.
func (s *Shop) Charge(ctx context.Context, orderID, customer string, amount int64) error {
	if err := s.enter("charge", orderID); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.charged[orderID]; ok {
		return nil
	}
	if amount > s.MaxCharge {
		return handler.Permanent(fmt.Errorf("%w: %d cents for %s is over the limit", ErrDeclined, amount, customer))
	}
	s.charged[orderID] = amount
	return nil
}

// Refund gives orderID's charge back.
func (s *Shop) Refund(ctx context.Context, orderID string) error {
	if err := s.enter("refund", orderID); err != nil {
		return err
	}
	defer s.mu.Unlock()
	delete(s.charged, orderID)
	return nil
}

// Ship ships orderID, unless country is in NoDelivery.
func (s *Shop) Ship(ctx context.Context, orderID, country string) (string, error) {
	if err := s.enter("ship", orderID); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	if t, ok := s.shipped[orderID]; ok {
		return t, nil
	}
	for _, c := range s.NoDelivery {
		if c == country {
			return "", handler.Permanent(fmt.Errorf("%w: %s", ErrNoDelivery, country))
		}
	}
	t := fmt.Sprintf("TRK-%s", orderID)
	s.shipped[orderID] = t
	return t, nil
}
