// Package ordersaga is the business logic of the saga example
// ([github.com/fnkit/fnkit/examples/saga], the parent directory): an order
// workflow across several event handlers, with compensation on failure —
// the Step Functions use case, driven by events and state instead of a
// state machine service:
//
//	order.placed     → reserve stock    → stock.reserved    | stock.failed
//	stock.reserved   → charge payment   → payment.charged   | payment.failed
//	payment.charged  → ship             → order.shipped     | shipping.failed
//
// and when a step fails for good, the steps done so far are undone in
// reverse:
//
//	shipping.failed  → refund payment   → payment.refunded
//	payment.refunded, payment.failed → release stock → stock.released
//	stock.released, stock.failed     → cancel order  → order.cancelled
//
// It holds the Service (the steps and their router), the ports it acts on
// (Inventory, Payments, Shipping; Shop is an in-memory implementation) and
// Bus, an in-process events.Publisher for local runs and tests. No
// platform and no store driver in it: command saga picks the store, the
// publisher (a Knative broker, an EventBridge bus, a Pub/Sub topic or a
// Bus) and the adapter, and puts the default middleware stack in front.
//
// Each step publishes the next event through the events.Publisher it is
// given. The state of each order's saga is one record in a state.Store,
// moved on by compare-and-swap: a step runs only from the status it
// expects, and records its outcome (the event it published) in the same
// write. A redelivered event whose step is already recorded does not run
// the step again: it publishes the recorded outcome again (with the same
// id, so that receivers deduplicate it). Concurrent duplicates of one
// event are kept to one execution by the idempotency middleware that
// Service.Handler puts in front of the router.
//
// Failures: a permanent one (out of stock, card declined, address not
// served) turns the saga to compensation; any other error (a payment
// gateway that is down) is returned, so the platform redelivers the event
// and the step runs again, with the state unchanged. A compensation is
// never given up: its failures are retried. The ports take the order id as
// their idempotency key, since a process that dies between a step's side
// effect and its state write runs the step again on redelivery.
package ordersaga
