package greet_test

import (
	"context"
	"fmt"

	"github.com/fnkit/fnkit/examples/hello/greet"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func ExampleNewHandler() {
	res := handlertest.Invoke(context.Background(), greet.NewHandler(),
		handlertest.NewEvent(handlertest.WithJSON(greet.Request{Name: "Ada", Language: "es"})))
	var r greet.Response
	_ = res.Decode(&r)
	fmt.Println(r.Greeting)
	// Output: ¡Hola, Ada!
}
