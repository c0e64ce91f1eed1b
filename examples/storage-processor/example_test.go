package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler/handlertest"
)

// Example invokes the consumer as main wires it (behind the default
// stack) with an upload that is not an image: it is rejected, a business
// outcome, not an error.
func Example() {
	pub := events.NewMemory()
	e := handlertest.NewEvent(
		handlertest.WithID("upload-8"),
		handlertest.WithType(events.TypeStorageObjectFinalized),
		handlertest.WithJSON(map[string]string{"bucket": "uploads", "name": "notes.txt", "contentType": "text/plain", "size": "12"}))
	res := handlertest.Invoke(context.Background(), newHandler(pub, slog.New(slog.DiscardHandler)), e)
	fmt.Println(res.Err)
	for _, out := range pub.Events() {
		fmt.Println(out.Type(), out.ID())
	}
	// Output:
	// <nil>
	// com.example.upload.rejected upload-8/com.example.upload.rejected
}
