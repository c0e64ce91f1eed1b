package main

import (
	"context"
	"fmt"

	"github.com/fnkit/fnkit/examples/queue-worker/shipping"
)

// Example invokes the function as main wires it, directly, the way a Step
// Functions task does.
func Example() {
	out, err := newFunction(&shipping.Warehouse{}).Invoke(context.Background(), []byte(`{"orderId":"o-9","sku":"tea","qty":11}`))
	fmt.Println(string(out), err)
	// Output: {"orderId":"o-9","parcels":2} <nil>
}
