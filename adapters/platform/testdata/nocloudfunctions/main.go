// Command nocloudfunctions runs a handler through platform.Run; the test
// builds it with the tag fnkit_nocloudfunctions and runs it as if on
// Cloud Functions.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/platform"
	"github.com/fnkit/fnkit/handler"
)

func main() {
	h := handler.Func(func(context.Context, event.Event) (*event.Event, error) { return nil, nil })
	if err := platform.Run(context.Background(), h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}
