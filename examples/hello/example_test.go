package main

import (
	"context"
	"fmt"

	"github.com/fnkit/fnkit/handler/handlertest"
)

func ExampleNewHandler() {
	res := handlertest.Invoke(context.Background(), NewHandler(),
		handlertest.NewEvent(handlertest.WithJSON(Request{Name: "Ada", Language: "es"})))
	var r Response
	_ = res.Decode(&r)
	fmt.Println(r.Greeting)
	// Output: ¡Hola, Ada!
}
