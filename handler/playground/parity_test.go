package playground_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/go-playground/validator/v10"

	"github.com/fnkit/fnkit/handler"
	"github.com/fnkit/fnkit/handler/playground"
)

// The built-in rules of typed handlers must read tags as
// go-playground/validator does: the same input fails the same fields with
// the same rules and messages under both.

type line struct {
	SKU   string  `json:"sku" validate:"required,len=4,alphanum"`
	Qty   int     `json:"qty" validate:"gte=1,lte=100"`
	Price float64 `json:"price" validate:"gt=0,lt=1e6"`
}

type address struct {
	Country string `json:"country" validate:"required,len=2"`
	Zip     string `json:"zip" validate:"omitempty,max=10"`
}

// alternatives uses rule alternatives (|), which only the playground
// validator has.
type alternatives struct {
	Code string `json:"code" validate:"eq=good|ne=x"`
}

type formats struct {
	Email string `json:"email" validate:"omitempty,email"`
	URL   string `json:"url" validate:"omitempty,url"`
	HTTP  string `json:"http" validate:"omitempty,http_url"`
}

func TestBuiltinRulesMatchPlayground(t *testing.T) {
	for _, in := range parityInputs {
		t.Run(in, func(t *testing.T) {
			builtin, played := bothFail[order](t, in)
			if !slices.Equal(builtin, played) {
				t.Fatalf("built-in %q\nplayground %q", builtin, played)
			}
		})
	}
}

// order exercises every built-in rule.
type order struct {
	ID     string            `json:"id" validate:"required,max=64"`
	Kind   string            `json:"kind" validate:"omitempty,oneof=retail wholesale 'gift card'"`
	Level  int               `json:"level" validate:"oneof=0 1 2"`
	Count  uint              `json:"count" validate:"max=10"`
	Lines  []line            `json:"lines" validate:"required,min=1,max=3,dive"`
	Tags   []string          `json:"tags" validate:"omitempty,max=2,dive,min=1,max=5"`
	Labels map[string]string `json:"labels" validate:"omitempty,dive,max=3"`
	Ship   address           `json:"ship"`
	Bill   *address          `json:"bill"`
	Code   string            `json:"code" validate:"ne=bad"`
	Note   *string           `json:"note" validate:"omitempty,min=2"`
	When   string            `json:"when" validate:"omitempty,datetime=2006-01-02"`
	Ref    string            `json:"ref" validate:"omitempty,uuid"`
	Ref4   string            `json:"ref4" validate:"omitempty,uuid4"`
	Nested [][]int           `json:"nested" validate:"max=2,dive,max=2,dive,gte=0"`
}

var parityInputs = []string{
	`{"id":"o1","lines":[{"sku":"abcd","qty":1,"price":2}],"ship":{"country":"FR"}}`,
	`{}`,
	`{"id":"","lines":[]}`,
	`{"id":"` + strings.Repeat("é", 65) + `","lines":[{"sku":"ab-d","qty":0,"price":0},{"sku":"abcde","qty":101,"price":1e7}],"ship":{"country":"FRA","zip":"12345678901"}}`,
	`{"id":"x","kind":"gift card","level":2,"count":11,"lines":[{"sku":"abcd","qty":5,"price":1}],"ship":{"country":"DE"},"bill":{"country":""}}`,
	`{"id":"x","kind":"gift","level":3,"lines":[{"sku":"abcd","qty":5,"price":1},{},{},{}],"tags":["","abcdef","ok"],"ship":{"country":"DE"}}`,
	`{"id":"x","lines":[{"sku":"abcd","qty":5,"price":1}],"tags":["a"],"labels":{"k":"long"},"ship":{"country":"DE"},"code":"bad","note":"a"}`,
	`{"id":"x","lines":[{"sku":"abcd","qty":5,"price":1}],"ship":{"country":"DE"},"when":"2026-13-01","ref":"not-a-uuid","ref4":"123e4567-e89b-12d3-a456-426614174000"}`,
	`{"id":"x","lines":[{"sku":"abcd","qty":5,"price":1}],"ship":{"country":"DE"},"when":"2026-12-01","ref":"123e4567-e89b-12d3-a456-426614174000","ref4":"123e4567-e89b-42d3-a456-426614174000","note":"ok"}`,
	`{"id":"x","lines":[{"sku":"abcd","qty":5,"price":1}],"ship":{"country":"DE"},"nested":[[1,2,3],[-1],[0]]}`,
	`{"id":"x","lines":[{"sku":"abcd","qty":5,"price":1}],"ship":{"country":"DE"},"nested":[[],[-5,0]]}`,
}

func TestFormatRulesMatchPlayground(t *testing.T) {
	for _, c := range []string{
		"a@example.com", "first.last+tag@sub.example.co", "user@localhost", "@example.com", "a@", "a@@b.c",
		"a..b@example.com", ".a@example.com", "a@-example.com", "a@example-.com", "a b@example.com", "a@exa mple.com",
		"https://example.com/x?y=1", "ftp://files.example.com", "mailto:a@example.com", "example.com", "/relative", "http://", "http:///path", "://x",
		"http://example.com", "HTTPS://EXAMPLE.COM/a", "ws://example.com",
	} {
		for _, field := range []string{"email", "url", "http"} {
			in, _ := json.Marshal(map[string]string{field: c})
			t.Run(field+"="+c, func(t *testing.T) {
				builtin, played := bothFail[formats](t, string(in))
				if !slices.Equal(builtin, played) {
					t.Fatalf("built-in %q\nplayground %q", builtin, played)
				}
			})
		}
	}
}

// bothFail runs in through a typed handler with the built-in rules and
// one with the playground validator, and returns the failed fields of
// each as "path rule message", sorted.
func bothFail[T any](t testing.TB, in string) (builtin, played []string) {
	t.Helper()
	fn := func(context.Context, T) error { return nil }
	return failures(t, handler.TypedNoReply(fn), in), failures(t, handler.TypedNoReply(fn, handler.WithValidator(playground.New())), in)
}

func failures(t testing.TB, h handler.Handler, data string) []string {
	t.Helper()
	e := cloudevents.NewEvent()
	e.SetID("1")
	e.SetSource("/test")
	e.SetType("com.example.test")
	if err := e.SetData(cloudevents.ApplicationJSON, []byte(data)); err != nil {
		t.Fatal(err)
	}
	_, err := h.Handle(context.Background(), e)
	if err == nil {
		return nil
	}
	if handler.ClassOf(err) != handler.ClassInvalidInput {
		t.Fatalf("not invalid input: %v", err)
	}
	var herr *handler.Error
	if !errors.As(err, &herr) {
		t.Fatalf("not a *handler.Error: %v", err)
	}
	if len(herr.Fields) == 0 {
		return []string{"decode: " + herr.Detail}
	}
	var out []string
	for _, f := range herr.Fields {
		out = append(out, f.Field+" "+f.Rule+" "+f.Message)
	}
	slices.Sort(out)
	return out
}

func TestRuleAlternativesNeedPlayground(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "Code") || !strings.Contains(msg, "eq=good|ne=x") || !strings.Contains(msg, "playground.New()") {
			t.Fatalf("panic %q should name the field, the rule and the way out", msg)
		}
	}()
	handler.TypedNoReply(func(context.Context, alternatives) error { return nil })
}

func TestPlaygroundRunsCustomRules(t *testing.T) {
	v := playground.NewValidate()
	if err := v.RegisterValidation("even", func(fl validator.FieldLevel) bool { return fl.Field().Int()%2 == 0 }); err != nil {
		t.Fatal(err)
	}
	type in struct {
		N int `json:"n" validate:"even"`
	}
	h := handler.TypedNoReply(func(context.Context, in) error { return nil }, handler.WithValidator(playground.Wrap(v)))
	if got := failures(t, h, `{"n":3}`); !slices.Equal(got, []string{"n even failed rule even"}) {
		t.Fatalf("odd n: %q", got)
	}
	if got := failures(t, h, `{"n":4}`); got != nil {
		t.Fatalf("even n: %q", got)
	}
}

func TestUnknownRuleWithoutPlaygroundPanics(t *testing.T) {
	type in struct {
		Host string `json:"host" validate:"required,hostname"`
	}
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, `"hostname"`) || !strings.Contains(msg, "Host") {
			t.Fatalf("panic %q should name the rule and field", msg)
		}
	}()
	handler.TypedNoReply(func(context.Context, in) error { return nil })
}

// FuzzBuiltinRulesMatchPlayground feeds arbitrary JSON to both
// validators: whatever decodes must fail the same fields the same way.
func FuzzBuiltinRulesMatchPlayground(f *testing.F) {
	for _, in := range parityInputs {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		builtin, played := bothFail[order](t, in)
		if !slices.Equal(builtin, played) {
			t.Fatalf("input %q\nbuilt-in %q\nplayground %q", in, builtin, played)
		}
	})
}
