package handler

import (
	"context"
	"strings"
	"testing"
)

// Wiring mistakes in validate tags panic when the handler is made, naming
// the type, the field and the rule.
func TestBuiltinRulesPanicOnBadTags(t *testing.T) {
	type maxWord struct {
		N string `validate:"max=abc"`
	}
	type minBool struct {
		B bool `validate:"min=1"`
	}
	type diveString struct {
		S string `validate:"dive"`
	}
	type emailInt struct {
		N int `validate:"email"`
	}
	type unknown struct {
		S string `validate:"required,iso3166_1_alpha2"`
	}
	type oneofWord struct {
		N int `validate:"oneof=1 two"`
	}
	type noLayout struct {
		S string `validate:"datetime"`
	}
	for name, c := range map[string]struct {
		make func()
		want string
	}{
		"max=abc":      {func() { TypedNoReply(func(context.Context, maxWord) error { return nil }) }, `maxWord.N: validate rule "max=abc"`},
		"min on bool":  {func() { TypedNoReply(func(context.Context, minBool) error { return nil }) }, `minBool.B: validate rule "min=1"`},
		"dive string":  {func() { TypedNoReply(func(context.Context, diveString) error { return nil }) }, `needs a slice`},
		"email on int": {func() { TypedNoReply(func(context.Context, emailInt) error { return nil }) }, `needs a string`},
		"unknown rule": {func() { TypedNoReply(func(context.Context, unknown) error { return nil }) }, `"iso3166_1_alpha2": not a built-in rule`},
		"oneof word":   {func() { TypedNoReply(func(context.Context, oneofWord) error { return nil }) }, `"two" is not an integer`},
		"no layout":    {func() { TypedNoReply(func(context.Context, noLayout) error { return nil }) }, `datetime needs a layout`},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) || !strings.Contains(msg, "handler/playground") {
					t.Fatalf("panic %q, want it to contain %q and the way out", msg, c.want)
				}
			}()
			c.make()
		})
	}
}

// A recursive type compiles (once) and is checked at every depth.
func TestBuiltinRulesRecursiveTypes(t *testing.T) {
	type node struct {
		Name string  `json:"name" validate:"required"`
		Next *node   `json:"next"`
		Kids []*node `json:"kids" validate:"dive"`
	}
	h := TypedNoReply(func(context.Context, node) error { return nil })
	_, err := h.Handle(context.Background(), newEvent(t, "application/json", `{"name":"a","next":{"name":"b","next":{}},"kids":[{"name":"c"},{"kids":[{}]}]}`))
	detail, fields := Detail(err)
	want := "next.next.name: is required; kids[1].name: is required; kids[1].kids[0].name: is required"
	if detail != want || len(fields) != 3 {
		t.Fatalf("detail %q, want %q", detail, want)
	}
}

// Handlers of types sharing nested rules can be made concurrently (run
// with -race): the compiled rules are shared only once complete.
func TestBuiltinRulesCompileConcurrently(t *testing.T) {
	type leaf struct {
		N int `json:"n" validate:"gte=1"`
	}
	type tree struct {
		Leaf  leaf    `json:"leaf"`
		Trees []*tree `json:"trees" validate:"dive"`
	}
	e := newEvent(t, "application/json", `{"leaf":{"n":1},"trees":[{"leaf":{"n":0}}]}`)
	done := make(chan error)
	for range 8 {
		go func() {
			h := TypedNoReply(func(context.Context, tree) error { return nil })
			_, err := h.Handle(context.Background(), e.Clone())
			done <- err
		}()
	}
	for range 8 {
		if detail, _ := Detail(<-done); detail != "trees[0].leaf.n: must be greater than or equal to 1" {
			t.Errorf("detail %q", detail)
		}
	}
}
