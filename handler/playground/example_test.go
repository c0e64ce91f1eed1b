package playground_test

import (
	"context"
	"fmt"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/playground"
)

// A rule fnkit does not build in (here hostname) is checked by
// go-playground/validator when the typed handler is given playground.New().
func Example() {
	type target struct {
		Host string `json:"host" validate:"required,hostname"`
	}
	h := handler.TypedNoReply(func(context.Context, target) error { return nil },
		handler.WithValidator(playground.New()))

	e := cloudevents.NewEvent()
	e.SetID("1")
	e.SetSource("/example")
	e.SetType("com.example.ping")
	_ = e.SetData(cloudevents.ApplicationJSON, []byte(`{"host":"not a host"}`))
	_, err := h.Handle(context.Background(), e)
	detail, fields := handler.Detail(err)
	fmt.Println(handler.ClassOf(err), detail, fields[0].Rule)
	// Output: invalid_input host: failed rule hostname hostname
}
