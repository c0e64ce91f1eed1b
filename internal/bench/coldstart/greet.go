package coldstart

import (
	"context"

	"github.com/fnkit/fnkit/handler"
)

// Request is examples/hello's request.
type Request struct {
	Name     string `json:"name" validate:"required,max=64"`
	Language string `json:"language,omitempty" validate:"omitempty,oneof=en fr es"`
}

// Response is examples/hello's reply.
type Response struct {
	Greeting string `json:"greeting"`
}

// Greet is examples/hello's business logic.
func Greet(ctx context.Context, req Request) (Response, error) {
	switch req.Language {
	case "fr":
		return Response{Greeting: "Bonjour, " + req.Name + " !"}, nil
	case "es":
		return Response{Greeting: "¡Hola, " + req.Name + "!"}, nil
	}
	return Response{Greeting: "Hello, " + req.Name + "!"}, nil
}

// NewHandler is examples/hello's handler.
func NewHandler() handler.Handler {
	return handler.Typed(Greet, handler.WithReplyType("com.example.hello.greeting"))
}
