package shipping

import (
	"context"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
	"github.com/fnkit/fnkit/state/memstore"
)

func TestShipThroughHandlertest(t *testing.T) {
	ctx := context.Background()
	w := &Warehouse{}
	h := NewHandler(w, memstore.New())
	e := handlertest.NewEvent(handlertest.WithID("m-1"), handlertest.WithSource("arn:aws:sqs:us-east-1:123456789012:shipments"),
		handlertest.WithJSON(Shipment{OrderID: "o-1", SKU: "tea", Qty: 25}))
	res := handlertest.Invoke(ctx, h, e)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := handlertest.ReplyAs[Result](t, res); got != (Result{OrderID: "o-1", Parcels: 3}) {
		t.Errorf("reply = %+v", got)
	}
	// SQS delivers at least once: the same message again ships nothing.
	if res := handlertest.Invoke(ctx, h, e); res.Err != nil || handlertest.ReplyAs[Result](t, res).Parcels != 3 {
		t.Errorf("duplicate: %+v", res)
	}
	if w.Shipped() != 1 {
		t.Errorf("shipped %d times, want once", w.Shipped())
	}
	for sku, want := range map[string]handler.Class{"discontinued": handler.ClassPermanent, "busy": handler.ClassThrottled, "flaky": handler.ClassRetryable} {
		e := handlertest.NewEvent(handlertest.WithID("m-"+sku), handlertest.WithJSON(Shipment{OrderID: "o", SKU: sku, Qty: 1}))
		if res := handlertest.Invoke(ctx, h, e); res.Class() != want {
			t.Errorf("%s: class %v (%v), want %v", sku, res.Class(), res.Err, want)
		}
	}
	bad := handlertest.NewEvent(handlertest.WithJSON(Shipment{OrderID: "o", SKU: "tea", Qty: 0}))
	if res := handlertest.Invoke(ctx, h, bad); res.Class() != handler.ClassInvalidInput || !strings.Contains(res.Err.Error(), "qty") {
		t.Errorf("qty 0: %v", res.Err)
	}
}
