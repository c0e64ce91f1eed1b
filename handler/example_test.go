package handler_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// Chain runs the first middleware outermost.
func ExampleChain() {
	trace := func(name string) handler.Middleware {
		return func(next handler.Handler) handler.Handler {
			return handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
				fmt.Println("enter", name)
				defer fmt.Println("leave", name)
				return next.Handle(ctx, e)
			})
		}
	}
	h := handler.Chain(trace("a"), trace("b"))(handler.Func(
		func(ctx context.Context, e event.Event) (*event.Event, error) {
			fmt.Println("handle", e.ID())
			return nil, nil
		}))

	e := event.New()
	e.SetID("1")
	e.SetSource("/example")
	e.SetType("com.example.ping")
	_, _ = h.Handle(context.Background(), e)
	// Output:
	// enter a
	// enter b
	// handle 1
	// leave b
	// leave a
}

type Greeting struct {
	Name string `json:"name" validate:"required,max=20"`
}

type Reply struct {
	Message string `json:"message"`
}

// Typed decodes and validates the event data, and encodes the reply.
func ExampleTyped() {
	h := handler.Typed(func(ctx context.Context, in Greeting) (Reply, error) {
		return Reply{Message: "Hello, " + in.Name + "!"}, nil
	}, handler.WithReplyType("com.example.greeted"))

	e := event.New()
	e.SetID("42")
	e.SetSource("/example")
	e.SetType("com.example.greet")
	_ = e.SetData(event.ApplicationJSON, map[string]string{"name": "Ada"})

	reply, err := h.Handle(context.Background(), e)
	fmt.Println(err)
	fmt.Println(reply.Type(), reply.Source(), reply.DataContentType())
	fmt.Println(string(reply.Data()))

	_ = e.SetData(event.ApplicationJSON, map[string]string{"name": ""})
	_, err = h.Handle(context.Background(), e)
	detail, fields := handler.Detail(err)
	fmt.Println(handler.ClassOf(err), detail, fields[0].Field)
	// Output:
	// <nil>
	// com.example.greeted /example application/json
	// {"message":"Hello, Ada!"}
	// invalid_input name: is required name
}

// Errors are classified with wrappers and recognised with errors.Is.
func ExampleClassOf() {
	errOutOfStock := errors.New("out of stock")
	for _, err := range []error{
		nil,
		errors.New("connection reset"),
		handler.InvalidInputf("quantity must be positive"),
		fmt.Errorf("placing order: %w", handler.Permanent(errOutOfStock)),
		handler.Throttled(errors.New("rate limited"), 0),
	} {
		fmt.Println(handler.ClassOf(err), handler.ClassOf(err).Retry(), errors.Is(err, handler.ErrPermanent))
	}
	// Output:
	// none false false
	// retryable true false
	// invalid_input false false
	// permanent false true
	// throttled true false
}

// Adapters put invocation metadata in the context.
func ExampleInvocationFrom() {
	ctx := handler.WithInvocation(context.Background(), &handler.Invocation{
		Platform:  handler.PlatformHTTP,
		RequestID: "req-1",
		Attempt:   2,
	})
	inv, ok := handler.InvocationFrom(ctx)
	fmt.Println(ok, inv.Platform, inv.RequestID, inv.Attempt)
	// Output: true http req-1 2
}
