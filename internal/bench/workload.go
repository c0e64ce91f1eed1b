package bench

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
)

// The workload: one ~200-byte JSON CloudEvent in binary mode, decoded into
// Order, answered with a small Receipt.
// Order is the benchmark input.
type Order struct {
	OrderID  string `json:"orderId"`
	Customer string `json:"customer"`
	Items    []Item `json:"items"`
	Note     string `json:"note"`
}

// Item is an order line.
type Item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

// Receipt is the benchmark output.
type Receipt struct {
	OrderID string `json:"orderId"`
	Units   int    `json:"units"`
}

// OrderJSON is the data of the benchmark event.
var OrderJSON = []byte(`{"orderId":"ord-20261124-000042","customer":"ada.lovelace@example.com",` +
	`"items":[{"sku":"tea-earl-grey-250g","qty":2},{"sku":"cup-porcelain-white","qty":1},{"sku":"saucer-white","qty":1}],` +
	`"note":"leave at the door"}`)

// Process is the business logic of the workload: count the units.
func Process(o Order) Receipt {
	units := 0
	for _, it := range o.Items {
		units += it.Qty
	}
	return Receipt{OrderID: o.OrderID, Units: units}
}

// WantReply is the expected reply data.
const WantReply = `{"orderId":"ord-20261124-000042","units":4}`

// NewRequest returns the benchmark request, without its body.
func NewRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://bench.local/", nil)
	r.Header.Set("Ce-Specversion", "1.0")
	r.Header.Set("Ce-Id", "7f1c0a52-3a1e-4b8e-9a55-0c2b2f7d3e11")
	r.Header.Set("Ce-Source", "https://shop.example.com/orders")
	r.Header.Set("Ce-Type", "com.example.order.placed")
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = int64(len(OrderJSON))
	return r
}

// BareHandler is the floor: net/http doing the same work by hand.
func BareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		id, source, typ := r.Header.Get("Ce-Id"), r.Header.Get("Ce-Source"), r.Header.Get("Ce-Type")
		if r.Header.Get("Ce-Specversion") != "1.0" || id == "" || source == "" || typ == "" {
			http.Error(w, "not a CloudEvent", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var o Order
		if err := json.Unmarshal(body, &o); err != nil {
			http.Error(w, "bad data", http.StatusBadRequest)
			return
		}
		out, err := json.Marshal(Process(o))
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Ce-Specversion", "1.0")
		h.Set("Ce-Id", id+"-reply")
		h.Set("Ce-Source", source)
		h.Set("Ce-Type", typ+".reply")
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
	})
}

// FnkitHandler is the same work as a typed handler behind httpserver.New.
func FnkitHandler() http.Handler { return httpserver.New(Handler()) }

// Handler is the workload as a typed fnkit handler, for wrapping in
// middleware before an adapter.
func Handler() handler.Handler {
	return handler.Typed(func(ctx context.Context, o Order) (Receipt, error) {
		return Process(o), nil
	})
}
