// Command httpapibare is the baseline of platform.sh's http-api rows:
// net/http and bbolt alone, with examples/http-api's routes written by
// hand — POST /orders (the same checks as its validate tags), GET
// /orders/{id}, GET /orders?limit=N&after=ID — over one bbolt file
// ($ORDERS_BOLT_PATH), on 127.0.0.1:$PORT. It has no idempotency keys,
// problem documents, logging or tracing: it is what the API costs bare.
package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

type line struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type order struct {
	ID        string    `json:"id"`
	Customer  string    `json:"customer"`
	Items     []line    `json:"items"`
	Units     int       `json:"units"`
	CreatedAt time.Time `json:"createdAt"`
}

var bucket = []byte("bare-orders")

func check(customer string, items []line) error {
	if _, err := mail.ParseAddress(customer); err != nil || customer == "" || len(customer) > 254 {
		return fmt.Errorf("customer: must be an email address of at most 254 characters")
	}
	if len(items) < 1 || len(items) > 100 {
		return fmt.Errorf("items: between 1 and 100")
	}
	for i, l := range items {
		if l.SKU == "" || len(l.SKU) > 64 || l.Qty < 1 || l.Qty > 1000 {
			return fmt.Errorf("items[%d]: sku 1 to 64 characters, qty 1 to 1000", i)
		}
	}
	return nil
}

func main() {
	db, err := bolt.Open(cmp.Or(os.Getenv("ORDERS_BOLT_PATH"), filepath.Join(os.TempDir(), "fnkit-bench-orders.db")), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		os.Exit(1)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		os.Exit(1)
	}
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Customer string `json:"customer"`
			Items    []line `json:"items"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := check(in.Customer, in.Items); err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		o := order{ID: uuid.NewString(), Customer: in.Customer, Items: in.Items, CreatedAt: time.Now().UTC()}
		for _, l := range in.Items {
			o.Units += l.Qty
		}
		b, _ := json.Marshal(o)
		if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(o.ID), b) }); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		reply(w, http.StatusOK, o) // as examples/http-api answers a create
	})
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		var o order
		found := false
		_ = db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket(bucket).Get([]byte(r.PathValue("id"))); b != nil {
				found = json.Unmarshal(b, &o) == nil
			}
			return nil
		})
		if !found {
			http.Error(w, "no such order", http.StatusNotFound)
			return
		}
		reply(w, http.StatusOK, o)
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		limit := 20
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				http.Error(w, "limit: 1 to 100", http.StatusBadRequest)
				return
			}
			limit = n
		}
		page := struct {
			Orders []order `json:"orders"`
			Next   string  `json:"next,omitempty"`
		}{Orders: []order{}}
		_ = db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if after := r.URL.Query().Get("after"); after != "" {
				k, v = c.Seek([]byte(after))
				if k != nil && string(k) == after {
					k, v = c.Next()
				}
			}
			for ; k != nil; k, v = c.Next() {
				if len(page.Orders) == limit {
					page.Next = page.Orders[limit-1].ID
					break
				}
				var o order
				if json.Unmarshal(v, &o) == nil {
					page.Orders = append(page.Orders, o)
				}
			}
			return nil
		})
		reply(w, http.StatusOK, page)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), mux); err != nil {
		os.Exit(1)
	}
}
