package uploads

import (
	"context"
	"fmt"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler/handlertest"
)

// The consumer in a unit test: an upload event in, the follow-up event
// recorded by the in-memory publisher.
func Example() {
	pub := events.NewMemory()
	e := handlertest.NewEvent(
		handlertest.WithID("upload-7"),
		handlertest.WithType(events.TypeStorageObjectFinalized),
		handlertest.WithJSON(map[string]string{"bucket": "uploads", "name": "cat.png", "contentType": "image/png", "size": "2048"}))
	res := handlertest.Invoke(context.Background(), NewHandler(pub), e)
	fmt.Println(res.Err)
	for _, out := range pub.Events() {
		fmt.Println(out.Type(), out.ID(), string(out.Data()))
	}
	// Output:
	// <nil>
	// com.example.upload.accepted upload-7/com.example.upload.accepted {"bucket":"uploads","name":"cat.png","contentType":"image/png","size":2048}
}
