package ordersaga

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/idempotency"
	"github.com/fnkit/fnkit/state"
)

// Source is the source of the events the saga publishes.
const Source = "/saga"

// Event types. order.placed carries an Order, every other one a Ref.
const (
	TypeOrderPlaced     = "com.example.order.placed"     // starts a saga
	TypeStockReserved   = "com.example.stock.reserved"   // reserve done: charge next
	TypeStockFailed     = "com.example.stock.failed"     // reserve failed for good: cancel
	TypePaymentCharged  = "com.example.payment.charged"  // charge done: ship next
	TypePaymentFailed   = "com.example.payment.failed"   // charge failed for good: release
	TypeOrderShipped    = "com.example.order.shipped"    // the end: shipped
	TypeShippingFailed  = "com.example.shipping.failed"  // ship failed for good: refund
	TypePaymentRefunded = "com.example.payment.refunded" // refund done: release next
	TypeStockReleased   = "com.example.stock.released"   // release done: cancel next
	TypeOrderCancelled  = "com.example.order.cancelled"  // the end: compensated
)

// Order is the data of order.placed.
type Order struct {
	ID       string `json:"id" validate:"required,max=128"`
	Customer string `json:"customer" validate:"required,email,max=254"`
	SKU      string `json:"sku" validate:"required,max=64"`
	Qty      int    `json:"qty" validate:"min=1,max=1000"`
	// Amount is the price in cents.
	Amount  int64  `json:"amount" validate:"min=1"`
	Country string `json:"country" validate:"required,len=2"`
}

// Ref is the data of every other event of the saga.
type Ref struct {
	OrderID string `json:"orderId" validate:"required,max=128"`
	// Reason says why a step failed, on the *.failed events.
	Reason string `json:"reason,omitempty"`
	// Tracking is the shipment's tracking number, on order.shipped.
	Tracking string `json:"tracking,omitempty"`
}

// Status is where an order's saga stands.
type Status string

// The statuses, forward then compensating.
const (
	StatusPlaced    Status = "placed"    // started: reserve next
	StatusReserved  Status = "reserved"  // stock reserved: charge next
	StatusCharged   Status = "charged"   // paid: ship next
	StatusShipped   Status = "shipped"   // done
	StatusFailed    Status = "failed"    // compensating: a step failed for good
	StatusRefunded  Status = "refunded"  // compensating: payment refunded
	StatusReleased  Status = "released"  // compensating: stock released
	StatusCancelled Status = "cancelled" // done, compensated
)

// Saga is the stored state of one order's saga.
type Saga struct {
	Order  Order  `json:"order"`
	Status Status `json:"status"`
	// Outcomes holds, per step, the event it published: a redelivery
	// publishes it again instead of running the step.
	Outcomes map[string]Ref `json:"outcomes,omitempty"`
	// Types holds the type of each outcome.
	Types map[string]string `json:"types,omitempty"`
	// Reason is why the saga failed, once it has.
	Reason string `json:"reason,omitempty"`
}

// Inventory reserves and releases stock. Both calls are idempotent per
// order id.
type Inventory interface {
	Reserve(ctx context.Context, orderID, sku string, qty int) error
	Release(ctx context.Context, orderID string) error
}

// Payments charges and refunds. Both calls are idempotent per order id.
type Payments interface {
	Charge(ctx context.Context, orderID, customer string, amount int64) error
	Refund(ctx context.Context, orderID string) error
}

// Shipping ships an order and returns its tracking number; idempotent per
// order id.
type Shipping interface {
	Ship(ctx context.Context, orderID, country string) (string, error)
}

// Ports are what the saga's steps act on.
type Ports struct {
	Inventory Inventory
	Payments  Payments
	Shipping  Shipping
}

// ErrWrongStatus is the permanent failure of an event that does not fit
// the saga's status (an event for an order the saga does not know, or one
// that arrives after the saga moved elsewhere).
var ErrWrongStatus = errors.New("saga: event does not fit the order's status")

func sagaKey(orderID string) string { return "saga/" + orderID }

// Service runs the steps. Make it with NewService.
type Service struct {
	store state.Store
	sagas state.Typed[Saga]
	pub   events.Publisher
	ports Ports
}

// NewService returns a Service keeping sagas (and the idempotency records
// of Handler) in store and publishing to pub. It panics if a port is
// missing.
func NewService(store state.Store, pub events.Publisher, ports Ports) *Service {
	if ports.Inventory == nil || ports.Payments == nil || ports.Shipping == nil {
		panic("saga: NewService needs every port")
	}
	return &Service{store: store, sagas: state.NewTyped[Saga](store), pub: pub, ports: ports}
}

// Get returns the saga of an order, or an error wrapping state.ErrNotFound.
func (s *Service) Get(ctx context.Context, orderID string) (Saga, error) {
	sg, _, err := s.sagas.Get(ctx, sagaKey(orderID))
	return sg, err
}

// Handler returns the saga as an fnkit handler: the router behind the
// idempotency middleware (scope "saga", records in the Service's store).
// A duplicate of an event that was handled (same source and id) does not
// run again, and concurrent duplicates run once. An event without a key
// (a plain POST without an Idempotency-Key) goes through, and the saga's
// own state keeps a second order.placed for one order from starting it
// twice.
func (s *Service) Handler() handler.Handler {
	return idempotency.New(s.store, idempotency.WithScope("saga"), idempotency.WithPassThroughWithoutKey()).Middleware()(s.router())
}

// router is one typed handler per event type the saga reacts to; other
// types (order.shipped, order.cancelled: the ends of the saga) are
// accepted and ignored. The saga's versions alone keep a redelivery from
// running a step twice; concurrent duplicates need Handler's idempotency.
func (s *Service) router() handler.Handler {
	routes := map[string]handler.Handler{
		TypeOrderPlaced: handler.TypedNoReply(s.place),
	}
	for _, st := range s.steps()[1:] {
		routes[st.on] = handler.TypedNoReply(func(ctx context.Context, r Ref) error { return s.run(ctx, st, r) })
	}
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		h, ok := routes[e.Type()]
		if !ok {
			return nil, nil
		}
		return h.Handle(ctx, e)
	})
}

// place starts the saga of an order (once: a second order.placed for the
// same id runs nothing new) and runs its first step.
func (s *Service) place(ctx context.Context, o Order) error {
	if _, _, err := s.sagas.Create(ctx, sagaKey(o.ID), Saga{Order: o, Status: StatusPlaced}, 0); err != nil && !errors.Is(err, state.ErrAlreadyExists) {
		return fmt.Errorf("saga: starting %s: %w", o.ID, err)
	}
	return s.run(ctx, s.steps()[0], Ref{OrderID: o.ID})
}

// step is one transition of the saga.
type step struct {
	name string
	on   string // the event type that triggers it (place runs the first)
	from []Status
	// do runs the side effect; an error classified permanent fails the
	// step (compensations never fail for good: their errors are retried).
	do func(ctx context.Context, sg *Saga) (Ref, error)
	// ok and failed are the outcomes: the status and event type.
	ok, failed         Status
	okType, failedType string
}

func (s *Service) steps() []step {
	return []step{
		{name: "reserve", // run by place, on order.placed
			from: []Status{StatusPlaced}, ok: StatusReserved, okType: TypeStockReserved, failed: StatusFailed, failedType: TypeStockFailed,
			do: func(ctx context.Context, sg *Saga) (Ref, error) {
				return Ref{}, s.ports.Inventory.Reserve(ctx, sg.Order.ID, sg.Order.SKU, sg.Order.Qty)
			}},
		{name: "charge", on: TypeStockReserved, from: []Status{StatusReserved}, ok: StatusCharged, okType: TypePaymentCharged, failed: StatusFailed, failedType: TypePaymentFailed,
			do: func(ctx context.Context, sg *Saga) (Ref, error) {
				return Ref{}, s.ports.Payments.Charge(ctx, sg.Order.ID, sg.Order.Customer, sg.Order.Amount)
			}},
		{name: "ship", on: TypePaymentCharged, from: []Status{StatusCharged}, ok: StatusShipped, okType: TypeOrderShipped, failed: StatusFailed, failedType: TypeShippingFailed,
			do: func(ctx context.Context, sg *Saga) (Ref, error) {
				tracking, err := s.ports.Shipping.Ship(ctx, sg.Order.ID, sg.Order.Country)
				return Ref{Tracking: tracking}, err
			}},
		// Compensations, in reverse.
		{name: "refund", on: TypeShippingFailed, from: []Status{StatusFailed}, ok: StatusRefunded, okType: TypePaymentRefunded,
			do: func(ctx context.Context, sg *Saga) (Ref, error) {
				return Ref{}, s.ports.Payments.Refund(ctx, sg.Order.ID)
			}},
		{name: "release", on: TypePaymentRefunded, from: []Status{StatusRefunded}, ok: StatusReleased, okType: TypeStockReleased,
			do: func(ctx context.Context, sg *Saga) (Ref, error) {
				return Ref{}, s.ports.Inventory.Release(ctx, sg.Order.ID)
			}},
		{name: "release", on: TypePaymentFailed, from: []Status{StatusFailed}, ok: StatusReleased, okType: TypeStockReleased,
			do: func(ctx context.Context, sg *Saga) (Ref, error) {
				return Ref{}, s.ports.Inventory.Release(ctx, sg.Order.ID)
			}},
		{name: "cancel", on: TypeStockReleased, from: []Status{StatusReleased}, ok: StatusCancelled, okType: TypeOrderCancelled,
			do: func(context.Context, *Saga) (Ref, error) { return Ref{}, nil }},
		{name: "cancel", on: TypeStockFailed, from: []Status{StatusFailed}, ok: StatusCancelled, okType: TypeOrderCancelled,
			do: func(context.Context, *Saga) (Ref, error) { return Ref{}, nil }},
	}
}

// run runs st for the order r names, at most once: the outcome and the new
// status are written together by compare-and-swap on the version read, and
// a step whose outcome is recorded publishes that outcome again instead.
func (s *Service) run(ctx context.Context, st step, r Ref) error {
	key := sagaKey(r.OrderID)
	sg, ver, err := s.sagas.Get(ctx, key)
	if errors.Is(err, state.ErrNotFound) {
		return handler.Permanent(fmt.Errorf("%w: no saga for order %s", ErrWrongStatus, r.OrderID))
	}
	if err != nil {
		return fmt.Errorf("saga: loading %s: %w", r.OrderID, err)
	}
	if out, ok := sg.Outcomes[st.name]; ok {
		return s.publish(ctx, sg.Types[st.name], out) // a redelivery: the step ran
	}
	if !slices.Contains(st.from, sg.Status) {
		return handler.Permanent(fmt.Errorf("%w: order %s is %s, %s needs %v", ErrWrongStatus, r.OrderID, sg.Status, st.name, st.from))
	}
	out, err := st.do(ctx, &sg)
	out.OrderID = r.OrderID
	typ := st.okType
	switch {
	case err == nil:
		sg.Status = st.ok
	case st.failedType != "" && handler.ClassOf(err) == handler.ClassPermanent:
		sg.Status, sg.Reason, typ = st.failed, reason(err), st.failedType
		out.Reason = sg.Reason
	case st.failedType == "":
		// A compensation is never given up: even a permanent error is
		// retried, and the platform's dead-letter queue catches one that
		// keeps failing.
		return handler.Retryable(fmt.Errorf("saga: %s of order %s: %w", st.name, r.OrderID, err))
	default:
		return fmt.Errorf("saga: %s of order %s: %w", st.name, r.OrderID, err) // the platform redelivers
	}
	if sg.Outcomes == nil {
		sg.Outcomes, sg.Types = map[string]Ref{}, map[string]string{}
	}
	sg.Outcomes[st.name], sg.Types[st.name] = out, typ
	if _, err := s.sagas.CompareAndSwap(ctx, key, ver, sg, 0); err != nil {
		// Another delivery moved the saga on meanwhile: the redelivery
		// finds its outcome.
		return fmt.Errorf("saga: recording %s of order %s: %w", st.name, r.OrderID, err)
	}
	return s.publish(ctx, typ, out)
}

// reason is the text of a step's failure, without its class.
func reason(err error) string {
	var he *handler.Error
	if errors.As(err, &he) && he.Err != nil {
		return he.Err.Error()
	}
	return err.Error()
}

// publish sends the outcome event of a step. Its id derives from the order
// and the type, so that a republished outcome is the same event.
func (s *Service) publish(ctx context.Context, typ string, r Ref) error {
	e := event.New()
	e.SetID(r.OrderID + "/" + typ)
	e.SetSource(Source)
	e.SetType(typ)
	e.SetSubject(r.OrderID)
	if err := e.SetData(event.ApplicationJSON, r); err != nil {
		return err
	}
	if err := s.pub.Publish(ctx, e); err != nil {
		return fmt.Errorf("saga: publishing %s: %w", typ, err)
	}
	return nil
}
