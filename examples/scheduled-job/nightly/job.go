// Package nightly is the business logic of the scheduled-job function:
// Job, a nightly run over the state.Store it is given (with an injected
// clock) that expires the orders left unpaid for longer than MaxAge, and
// CloudSchedulerDecoder for Cloud Scheduler's HTTP POSTs. No platform in
// it: command scheduled-job (the parent directory) wires the store, the
// middleware (idempotency included) and the adapter.
//
// A run is idempotent per tick: its cutoff is the tick's scheduled time
// minus MaxAge (not the clock when it happens to run), and the idempotency
// middleware answers a redelivered tick (same source and id) with the
// report of its first run, without running again — so an order placed
// since is not expired by a late duplicate. Each order moves from pending
// to expired by compare-and-swap, so a payment racing the job either lands
// first (the order is kept) or finds the order expired (ErrExpired).
package nightly

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/state"
)

// Event types the job reacts to, besides the platforms' ticks.
const (
	// TypeTick is a tick from Cloud Scheduler's HTTP target (see
	// CloudSchedulerDecoder) or a manual run (a plain POST).
	TypeTick = "com.example.schedule.tick"
	// TypeEventBridgeSchedule is the type of an EventBridge schedule's
	// event on Lambda (its detail-type).
	TypeEventBridgeSchedule = "Scheduled Event"
	// TypePing is a Knative PingSource's event.
	TypePing = "dev.knative.sources.ping"

	TypeOrderPlaced = "com.example.order.placed"
	TypeOrderPaid   = "com.example.order.paid"
	// TypeReport is the type of a run's reply.
	TypeReport = "com.example.orders.expiry.report"
)

// Order statuses.
const (
	StatusPending = "pending"
	StatusPaid    = "paid"
	StatusExpired = "expired"
)

// Order is the job's view of an order.
type Order struct {
	ID       string    `json:"id" validate:"required,max=128"`
	PlacedAt time.Time `json:"placedAt" validate:"required"`
	Status   string    `json:"status,omitempty"`
	// ExpiredBy is the run that expired the order.
	ExpiredBy string `json:"expiredBy,omitempty"`
}

// Payment is the data of order.paid.
type Payment struct {
	ID string `json:"id" validate:"required,max=128"`
}

// Report is what a run did, the data of its reply.
type Report struct {
	Run     string    `json:"run"`
	AsOf    time.Time `json:"asOf"`
	Cutoff  time.Time `json:"cutoff"`
	Expired []string  `json:"expired"`
	// Pending counts the orders left pending (placed after the cutoff).
	Pending int `json:"pending"`
}

// ErrExpired is the permanent failure of a payment for an expired order.
var ErrExpired = errors.New("scheduled-job: order expired")

// DefaultMaxAge is how long an order may stay unpaid.
const DefaultMaxAge = 48 * time.Hour

const pendingKey = "pending"

func orderKey(id string) string { return "orders/" + id }

// Job expires stale orders. Make it with NewJob; safe for concurrent use.
type Job struct {
	orders  state.Typed[Order]
	pending state.Typed[map[string]time.Time]
	maxAge  time.Duration
	now     func() time.Time
}

// NewJob returns a Job over store, expiring orders unpaid for more than
// maxAge (which must be positive); now is the clock of manual runs whose
// tick carries no time.
func NewJob(store state.Store, maxAge time.Duration, now func() time.Time) *Job {
	if maxAge <= 0 {
		panic("scheduled-job: NewJob needs a positive maxAge")
	}
	return &Job{orders: state.NewTyped[Order](store), pending: state.NewTyped[map[string]time.Time](store), maxAge: maxAge, now: now}
}

// Place records a pending order (a second Place of one id changes
// nothing).
func (j *Job) Place(ctx context.Context, o Order) error {
	o.Status, o.ExpiredBy, o.PlacedAt = StatusPending, "", o.PlacedAt.UTC()
	if _, _, err := j.orders.Create(ctx, orderKey(o.ID), o, 0); err != nil {
		if errors.Is(err, state.ErrAlreadyExists) {
			return nil
		}
		return fmt.Errorf("scheduled-job: placing %s: %w", o.ID, err)
	}
	_, _, err := j.pending.Update(ctx, pendingKey, 0, func(p map[string]time.Time, _ bool) (map[string]time.Time, error) {
		if p == nil {
			p = map[string]time.Time{}
		}
		p[o.ID] = o.PlacedAt
		return p, nil
	})
	return err
}

// Pay marks an order paid. An expired order is a permanent failure
// (ErrExpired); an unknown one invalid input.
func (j *Job) Pay(ctx context.Context, p Payment) error {
	_, _, err := j.orders.Update(ctx, orderKey(p.ID), 0, func(o Order, found bool) (Order, error) {
		switch {
		case !found:
			return o, handler.InvalidInputf("no order %s", p.ID)
		case o.Status == StatusExpired:
			return o, handler.Permanent(fmt.Errorf("%w: %s, by run %s", ErrExpired, p.ID, o.ExpiredBy))
		}
		o.Status = StatusPaid
		return o, nil
	})
	if err != nil {
		return err
	}
	return j.unindex(ctx, p.ID)
}

func (j *Job) unindex(ctx context.Context, ids ...string) error {
	_, _, err := j.pending.Update(ctx, pendingKey, 0, func(p map[string]time.Time, _ bool) (map[string]time.Time, error) {
		for _, id := range ids {
			delete(p, id)
		}
		if p == nil {
			p = map[string]time.Time{}
		}
		return p, nil
	})
	return err
}

// errNotPending stops the expiry of an order that is no longer pending.
var errNotPending = errors.New("not pending")

// Run expires the orders placed before asOf minus the maximum age, as the
// run named run, and reports what it did.
func (j *Job) Run(ctx context.Context, run string, asOf time.Time) (Report, error) {
	rep := Report{Run: run, AsOf: asOf.UTC(), Cutoff: asOf.UTC().Add(-j.maxAge), Expired: []string{}}
	idx, _, err := j.pending.Get(ctx, pendingKey)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return Report{}, fmt.Errorf("scheduled-job: reading the pending orders: %w", err)
	}
	var stale []string
	for id, at := range idx {
		if at.Before(rep.Cutoff) {
			stale = append(stale, id)
		} else {
			rep.Pending++
		}
	}
	slices.Sort(stale)
	var done []string
	for _, id := range stale {
		_, _, err := j.orders.Update(ctx, orderKey(id), 0, func(o Order, found bool) (Order, error) {
			if !found || o.Status != StatusPending {
				return o, errNotPending
			}
			o.Status, o.ExpiredBy = StatusExpired, run
			return o, nil
		})
		switch {
		case err == nil:
			rep.Expired = append(rep.Expired, id)
		case errors.Is(err, errNotPending):
		default:
			// What is done stays done: the retried run skips it.
			return Report{}, fmt.Errorf("scheduled-job: expiring %s: %w", id, err)
		}
		done = append(done, id)
	}
	if err := j.unindex(ctx, done...); err != nil {
		return Report{}, fmt.Errorf("scheduled-job: updating the pending orders: %w", err)
	}
	return rep, nil
}

// Get returns an order, or an error wrapping state.ErrNotFound.
func (j *Job) Get(ctx context.Context, id string) (Order, error) {
	o, _, err := j.orders.Get(ctx, orderKey(id))
	return o, err
}

// IsTick reports whether e is a tick of one of the schedulers.
func IsTick(e event.Event) bool {
	switch e.Type() {
	case TypeTick, TypeEventBridgeSchedule, TypePing:
		return true
	case events.TypePubSubMessagePublished:
		return true // Cloud Scheduler publishing to the function's topic
	}
	return false
}

// Handler returns the job as an event handler: ticks run it and reply
// with the Report; order.placed and order.paid keep its view of the
// orders; other events are ignored.
func (j *Job) Handler() handler.Handler {
	place := handler.TypedNoReply(j.Place)
	pay := handler.TypedNoReply(j.Pay)
	return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		switch {
		case IsTick(e):
			return j.tick(ctx, e)
		case e.Type() == TypeOrderPlaced:
			return place.Handle(ctx, e)
		case e.Type() == TypeOrderPaid:
			return pay.Handle(ctx, e)
		}
		return nil, nil
	})
}

// tick runs the job for one tick: as of the tick's time (its scheduled
// time on every scheduler), or the clock's for a manual run without one.
func (j *Job) tick(ctx context.Context, e event.Event) (*event.Event, error) {
	asOf := e.Time()
	if asOf.IsZero() {
		asOf = j.now()
	}
	run := strings.TrimPrefix(e.Source(), "//") + "#" + e.ID()
	rep, err := j.Run(ctx, run, asOf)
	if err != nil {
		return nil, err
	}
	out := event.New()
	out.SetID(e.ID() + "/report")
	out.SetSource("/scheduled-job")
	out.SetType(TypeReport)
	out.SetTime(rep.AsOf)
	if err := out.SetData(event.ApplicationJSON, rep); err != nil {
		return nil, err
	}
	return &out, nil
}
