// Package greet is the business logic of the hello function: a typed
// handler with a validated input, and no HTTP, CloudEvents or platform in
// it. Command hello (the parent directory) serves it; the same handler
// runs unchanged on AWS Lambda, Cloud Functions or Knative by choosing
// another adapter there.
package greet

import (
	"context"

	"github.com/fnkit/fnkit/handler"
)

// Request is the data of a greeting request.
type Request struct {
	Name     string `json:"name" validate:"required,max=64"`
	Language string `json:"language,omitempty" validate:"omitempty,oneof=en fr es"`
}

// Response is the data of the reply.
type Response struct {
	Greeting string `json:"greeting"`
}

// ReplyType is the CloudEvents type of replies.
const ReplyType = "com.example.hello.greeting"

// Greet is the business logic: no HTTP, no CloudEvents, no platform.
func Greet(ctx context.Context, req Request) (Response, error) {
	switch req.Language {
	case "fr":
		return Response{Greeting: "Bonjour, " + req.Name + " !"}, nil
	case "es":
		return Response{Greeting: "¡Hola, " + req.Name + "!"}, nil
	}
	return Response{Greeting: "Hello, " + req.Name + "!"}, nil
}

// NewHandler returns Greet as a Handler.
func NewHandler() handler.Handler {
	return handler.Typed(Greet, handler.WithReplyType(ReplyType))
}
