package platform_test

import (
	"fmt"

	"github.com/fnkit/fnkit/adapters/platform"
)

// A function's main calls platform.Run(ctx, h) (or RunHTTP for an
// http.Handler); Detect shows what it would choose.
func ExampleDetect() {
	env := map[string]string{"K_SERVICE": "orders", "PORT": "8080"}
	p, why, _ := platform.Detect(func(k string) string { return env[k] })
	fmt.Println(p, "because", why)
	// Output: knative because K_SERVICE is set
}
