package middleware

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/handlertest"
)

func TestValidate(t *testing.T) {
	rules := []Rule{
		AllowTypes("com.example.order.*", "com.example.ping"),
		AllowSources("/shop/*"),
		RequireExtensions("tenant"),
		AllowDataContentTypes("application/json", "application/*+json", "text/*"),
		MaxDataSize(16),
	}
	good := []handlertest.EventOption{handlertest.WithType("com.example.order.created"), handlertest.WithSource("/shop/eu"),
		handlertest.WithExtension("tenant", "t1"), handlertest.WithData("application/json; charset=utf-8", []byte(`{"a":1}`))}
	cases := []struct {
		name  string
		opts  []handlertest.EventOption
		rules []string
	}{
		{"valid", nil, nil},
		{"exact type", []handlertest.EventOption{handlertest.WithType("com.example.ping")}, nil},
		{"type", []handlertest.EventOption{handlertest.WithType("com.evil.order")}, []string{"allowed_types"}},
		{"type prefix needs prefix", []handlertest.EventOption{handlertest.WithType("com.example.orders")}, []string{"allowed_types"}},
		{"source", []handlertest.EventOption{handlertest.WithSource("/other")}, []string{"allowed_sources"}},
		{"extension empty", []handlertest.EventOption{handlertest.WithExtension("tenant", "")}, []string{"required_extensions"}},
		{"suffix content type", []handlertest.EventOption{handlertest.WithData("application/cloudevents+json", []byte(`{}`))}, nil},
		{"text content type", []handlertest.EventOption{handlertest.WithData("TEXT/Plain", []byte(`hi`))}, nil},
		{"content type", []handlertest.EventOption{handlertest.WithData("application/xml", []byte(`<a/>`))}, []string{"allowed_data_content_types"}},
		{"too big", []handlertest.EventOption{handlertest.WithData("application/json", []byte(`{"a":"0123456789abc"}`))}, []string{"max_data_size"}},
		{"several", []handlertest.EventOption{handlertest.WithType("x"), handlertest.WithSource("/y")}, []string{"allowed_types", "allowed_sources"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called := false
			h := Validate(rules...)(handlerFunc(func(context.Context) { called = true }))
			_, err := invoke(context.Background(), h, newEvent(append(append([]handlertest.EventOption{}, good...), c.opts...)...))
			if c.rules == nil {
				if err != nil || !called {
					t.Fatalf("valid event: %v (called %v)", err, called)
				}
				return
			}
			if called {
				t.Fatal("handler called for an invalid envelope")
			}
			if !errors.Is(err, ErrInvalidEnvelope) || handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Fatalf("err %v", err)
			}
			detail, fields := handler.Detail(err)
			if len(fields) != len(c.rules) {
				t.Fatalf("fields %v, want rules %v", fields, c.rules)
			}
			for i, r := range c.rules {
				if fields[i].Rule != r || !strings.Contains(detail, r) || fields[i].Message == "" || fields[i].Field == "" {
					t.Fatalf("field %d %+v, detail %q, want rule %s", i, fields[i], detail, r)
				}
			}
		})
	}
	// A content type that does not parse (adapters may pass one through).
	e := newEvent(good...)
	_ = e.Context.SetDataContentType("a/b; ===")
	_, err := invoke(context.Background(), Validate(rules...)(handlerFunc(func(context.Context) { t.Fatal("called") })), e)
	if _, fields := handler.Detail(err); len(fields) != 1 || fields[0].Rule != "allowed_data_content_types" || !strings.Contains(fields[0].Message, "does not parse") {
		t.Fatalf("garbage content type: %v", err)
	}
	if MaxDataSize(1).Name() != "max_data_size" {
		t.Fatal("Name")
	}
}

func TestValidatePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"zero rule":     func() { Validate(Rule{}) },
		"negative size": func() { MaxDataSize(-1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}
