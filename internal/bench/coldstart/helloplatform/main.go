// Command helloplatform is examples/hello's function run through
// adapters/platform (runtime selection, every adapter linked), which
// serves it locally on $PORT when no platform variable is set.
package main

import (
	"context"
	"os"

	"github.com/fnkit/fnkit/adapters/platform"
	"github.com/fnkit/fnkit/examples/hello/greet"
)

func main() {
	if err := platform.Run(context.Background(), greet.NewHandler()); err != nil {
		os.Exit(1)
	}
}
