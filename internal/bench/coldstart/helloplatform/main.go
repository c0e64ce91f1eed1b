// Command helloplatform is examples/hello's function run through
// adapters/platform (runtime selection, every adapter linked), which
// serves it locally on $PORT when no platform variable is set.
package main

import (
	"context"
	"os"

	"github.com/fnkit/fnkit/adapters/platform"
	"github.com/fnkit/fnkit/internal/bench/coldstart"
)

func main() {
	if err := platform.Run(context.Background(), coldstart.NewHandler()); err != nil {
		os.Exit(1)
	}
}
