package greet

import (
	"context"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

// Unit tests: the handler in-process, no server.
func TestGreet(t *testing.T) {
	h := NewHandler()
	ctx := context.Background()
	tests := []struct {
		in   Request
		want string
	}{
		{Request{Name: "Ada"}, "Hello, Ada!"},
		{Request{Name: "Ada", Language: "fr"}, "Bonjour, Ada !"},
		{Request{Name: "Ada", Language: "es"}, "¡Hola, Ada!"},
	}
	for _, tt := range tests {
		res := handlertest.Invoke(ctx, h, handlertest.NewEvent(handlertest.WithJSON(tt.in)))
		if got := handlertest.ReplyAs[Response](t, res); got.Greeting != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.in, got.Greeting, tt.want)
		}
		if res.Reply.Type() != ReplyType {
			t.Errorf("reply type %q", res.Reply.Type())
		}
	}
}

func TestGreetRejectsInvalidInput(t *testing.T) {
	h := NewHandler()
	for name, data := range map[string]string{
		"missing name":     `{}`,
		"name too long":    `{"name":"` + strings.Repeat("a", 65) + `"}`,
		"unknown language": `{"name":"Ada","language":"de"}`,
		"malformed":        `{"name":`,
		"wrong type":       `{"name":7}`,
	} {
		t.Run(name, func(t *testing.T) {
			res := handlertest.Invoke(context.Background(), h, handlertest.NewEvent(handlertest.WithData("application/json", []byte(data))))
			if res.Class() != handler.ClassInvalidInput || res.Reply != nil {
				t.Fatalf("class %v reply %v err %v", res.Class(), res.Reply, res.Err)
			}
		})
	}
}
