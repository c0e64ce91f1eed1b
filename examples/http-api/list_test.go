package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/fnkit/fnkit/examples/http-api/orders"

	"github.com/fnkit/fnkit/state/memstore"
)

func TestListOverHTTP(t *testing.T) {
	base := startAPI(t, memstore.New())
	for i := range 3 {
		if r := post(t, base+"/orders", fmt.Sprint("k", i), orderListBody); r.status != 200 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
	}
	get := func(query string) (httpResult, struct {
		Orders []orders.Order `json:"orders"`
		Next   string         `json:"next"`
	}) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/orders"+query, nil)
		r := send(t, req)
		var page struct {
			Orders []orders.Order `json:"orders"`
			Next   string         `json:"next"`
		}
		if r.status == 200 {
			if err := json.Unmarshal([]byte(r.body), &page); err != nil {
				t.Fatal(err)
			}
		}
		return r, page
	}
	r, page := get("?limit=2")
	if r.status != 200 || len(page.Orders) != 2 || page.Next != page.Orders[1].ID {
		t.Fatalf("first page: %d %s", r.status, r.body)
	}
	r, page = get("?limit=2&after=" + page.Next)
	if r.status != 200 || len(page.Orders) != 1 || page.Next != "" {
		t.Fatalf("last page: %d %s", r.status, r.body)
	}
	for _, q := range []string{"?limit=x", "?limit=0", "?after=missing"} {
		if r, _ := get(q); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

const orderListBody = `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`
