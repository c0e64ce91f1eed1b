package handler

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

type order struct {
	ID    string      `json:"id" validate:"required"`
	Qty   int         `json:"qty" validate:"gte=1,lte=100"`
	Email string      `json:"email,omitempty" validate:"omitempty,email"`
	Items []orderItem `json:"items" validate:"dive"`
}

type orderItem struct {
	SKU string `json:"sku" validate:"required,len=4"`
}

type receipt struct {
	OrderID string `json:"orderId"`
	Total   int    `json:"total"`
}

func newEvent(tb testing.TB, ct string, data string) event.Event {
	tb.Helper()
	e := event.New()
	e.SetID("id-1")
	e.SetSource("/orders")
	e.SetType("com.example.order")
	if ct != "" {
		e.SetDataContentType(ct)
	}
	if data != "" {
		e.DataEncoded = []byte(data)
	}
	return e
}

func TestTypedDecodesByContentType(t *testing.T) {
	var got order
	h := Typed(func(ctx context.Context, in order) (receipt, error) {
		got = in
		return receipt{OrderID: in.ID, Total: in.Qty * 10}, nil
	})
	valid := `{"id":"o1","qty":3,"items":[{"sku":"abcd"}]}`
	for _, ct := range []string{"", "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/json", "application/vnd.order+json"} {
		t.Run("ct="+ct, func(t *testing.T) {
			got = order{}
			reply, err := h.Handle(context.Background(), newEvent(t, ct, valid))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got.ID != "o1" || got.Qty != 3 || len(got.Items) != 1 || got.Items[0].SKU != "abcd" {
				t.Fatalf("decoded %+v", got)
			}
			var r receipt
			if err := json.Unmarshal(reply.Data(), &r); err != nil || r != (receipt{OrderID: "o1", Total: 30}) {
				t.Fatalf("reply data %s (%v)", reply.Data(), err)
			}
			if reply.DataContentType() != "application/json" {
				t.Fatalf("reply content type %q", reply.DataContentType())
			}
			if reply.Type() != "com.example.order.reply" || reply.Source() != "/orders" {
				t.Fatalf("reply type %q source %q", reply.Type(), reply.Source())
			}
			if reply.ID() == "" || reply.ID() == "id-1" {
				t.Fatalf("reply id %q is not fresh", reply.ID())
			}
			if err := reply.Validate(); err != nil {
				t.Fatalf("reply is not a valid CloudEvent: %v", err)
			}
		})
	}
}

func TestTypedRejectsBadInput(t *testing.T) {
	called := false
	h := Typed(func(ctx context.Context, in order) (receipt, error) {
		called = true
		return receipt{}, nil
	})
	tests := []struct {
		name, ct, data string
		sentinel       error  // errors.Is target besides ErrInvalidInput
		detail         string // substring of the client-facing detail
		field          string // first FieldError.Field, if any
	}{
		{name: "malformed JSON", ct: "application/json", data: `{"id":"o1",`, detail: "malformed JSON"},
		{name: "syntax error", ct: "application/json", data: `{"id" "o1"}`, detail: "malformed JSON at byte"},
		{name: "wrong type", ct: "application/json", data: `{"id":"o1","qty":"three"}`, detail: `field "qty": expected an integer, got JSON string`, field: "qty"},
		{name: "wrong nested type", ct: "application/json", data: `{"id":"o1","qty":1,"items":[{"sku":5}]}`, detail: `field "items.sku"`, field: "items.sku"},
		{name: "not an object", ct: "application/json", data: `[1,2]`, detail: "data: expected a JSON object, got JSON array"},
		{name: "missing required", ct: "application/json", data: `{"qty":1}`, detail: "id: is required", field: "id"},
		{name: "out of range", ct: "application/json", data: `{"id":"o1","qty":0}`, detail: "qty: must be greater than or equal to 1", field: "qty"},
		{name: "nested rule", ct: "application/json", data: `{"id":"o1","qty":1,"items":[{"sku":"abc"}]}`, detail: "items[0].sku: must be exactly 4 characters", field: "items[0].sku"},
		{name: "bad email", ct: "application/json", data: `{"id":"o1","qty":1,"email":"nope"}`, detail: "email: must be an email address", field: "email"},
		{name: "no data", ct: "application/json", data: "", sentinel: ErrNoData, detail: "event has no data; expected a JSON object"},
		{name: "text into struct", ct: "text/plain", data: "hello", sentinel: ErrUnsupportedMediaType, detail: `unsupported datacontenttype "text/plain": expected a JSON object`},
		{name: "xml into struct", ct: "application/xml", data: "<a/>", sentinel: ErrUnsupportedMediaType, detail: "application/xml"},
		{name: "binary into struct", ct: "application/octet-stream", data: "\x00\x01", sentinel: ErrUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called = false
			reply, err := h.Handle(context.Background(), newEvent(t, tt.ct, tt.data))
			if err == nil {
				t.Fatalf("no error; reply %v", reply)
			}
			if called {
				t.Fatal("handler ran on invalid input")
			}
			if ClassOf(err) != ClassInvalidInput || !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("class %v, err %v", ClassOf(err), err)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			detail, fields := Detail(err)
			if !strings.Contains(detail, tt.detail) {
				t.Fatalf("detail %q does not contain %q", detail, tt.detail)
			}
			// Clients hear of the request, never of the program's types.
			if strings.Contains(detail, "handler.") || strings.Contains(detail, "order") {
				t.Fatalf("detail %q names the Go type", detail)
			}
			if tt.field != "" && (len(fields) == 0 || fields[0].Field != tt.field) {
				t.Fatalf("fields %+v, want first %q", fields, tt.field)
			}
		})
	}
}

func TestTypedReportsEveryFailedField(t *testing.T) {
	h := TypedNoReply(func(ctx context.Context, in order) error { return nil })
	_, err := h.Handle(context.Background(), newEvent(t, "", `{"qty":500,"items":[{"sku":""}]}`))
	_, fields := Detail(err)
	var names []string
	for _, f := range fields {
		names = append(names, f.Field+"/"+f.Rule)
	}
	if got, want := strings.Join(names, ","), "id/required,qty/lte,items[0].sku/required"; got != want {
		t.Fatalf("fields %s, want %s", got, want)
	}
}

func TestTypedScalarKinds(t *testing.T) {
	ctx := context.Background()
	t.Run("string from text", func(t *testing.T) {
		h := Typed(func(ctx context.Context, in string) (string, error) { return strings.ToUpper(in), nil })
		reply, err := h.Handle(ctx, newEvent(t, "text/plain; charset=utf-8", "hi there"))
		if err != nil || string(reply.Data()) != "HI THERE" || reply.DataContentType() != "text/plain; charset=utf-8" {
			t.Fatalf("reply %v err %v", reply, err)
		}
	})
	t.Run("string from JSON", func(t *testing.T) {
		h := Typed(func(ctx context.Context, in string) (string, error) { return in, nil })
		reply, err := h.Handle(ctx, newEvent(t, "application/json", `"quoted"`))
		if err != nil || string(reply.Data()) != "quoted" {
			t.Fatalf("reply %v err %v", reply, err)
		}
	})
	t.Run("string from binary", func(t *testing.T) {
		h := Typed(func(ctx context.Context, in string) (string, error) { return in, nil })
		_, err := h.Handle(ctx, newEvent(t, "application/octet-stream", "x"))
		if !errors.Is(err, ErrUnsupportedMediaType) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("bytes from anything", func(t *testing.T) {
		h := Typed(func(ctx context.Context, in []byte) ([]byte, error) { return append(in, '!'), nil })
		for _, ct := range []string{"application/octet-stream", "image/png", "application/json", ""} {
			reply, err := h.Handle(ctx, newEvent(t, ct, "\x00\xff"))
			if err != nil || string(reply.Data()) != "\x00\xff!" || reply.DataContentType() != "application/octet-stream" {
				t.Fatalf("ct %q: reply %v err %v", ct, reply, err)
			}
		}
	})
	t.Run("raw JSON", func(t *testing.T) {
		h := Typed(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
		reply, err := h.Handle(ctx, newEvent(t, "application/json", `{"a":[1,2]}`))
		if err != nil || string(reply.Data()) != `{"a":[1,2]}` {
			t.Fatalf("reply %v err %v", reply, err)
		}
		_, err = h.Handle(ctx, newEvent(t, "application/json", `{"a":`))
		if ClassOf(err) != ClassInvalidInput {
			t.Fatalf("invalid raw JSON: err %v", err)
		}
	})
	t.Run("map", func(t *testing.T) {
		h := Typed(func(ctx context.Context, in map[string]int) (int, error) { return in["a"] + in["b"], nil })
		reply, err := h.Handle(ctx, newEvent(t, "", `{"a":1,"b":2}`))
		if err != nil || string(reply.Data()) != "3" {
			t.Fatalf("reply %v err %v", reply, err)
		}
	})
}

func TestTypedPointerOutNilMeansNoReply(t *testing.T) {
	h := Typed(func(ctx context.Context, in order) (*receipt, error) {
		if in.Qty > 1 {
			return &receipt{OrderID: in.ID}, nil
		}
		return nil, nil
	})
	reply, err := h.Handle(context.Background(), newEvent(t, "", `{"id":"a","qty":1}`))
	if err != nil || reply != nil {
		t.Fatalf("reply %v err %v, want none", reply, err)
	}
	reply, err = h.Handle(context.Background(), newEvent(t, "", `{"id":"a","qty":2}`))
	if err != nil || reply == nil || string(reply.Data()) != `{"orderId":"a","total":0}` {
		t.Fatalf("reply %v err %v", reply, err)
	}
}

func TestTypedPassesHandlerErrorsThrough(t *testing.T) {
	boom := errors.New("boom")
	h := Typed(func(ctx context.Context, in order) (receipt, error) { return receipt{}, Permanent(boom) })
	reply, err := h.Handle(context.Background(), newEvent(t, "", `{"id":"a","qty":1}`))
	if reply != nil || !errors.Is(err, boom) || ClassOf(err) != ClassPermanent {
		t.Fatalf("reply %v err %v", reply, err)
	}
}

func TestTypedOptions(t *testing.T) {
	n := 0
	h := Typed(func(ctx context.Context, in order) (receipt, error) { return receipt{}, nil },
		WithReplyType("com.example.receipt"),
		WithReplySource("https://example.com/billing"),
		WithIDGenerator(func() string { n++; return "r" + string(rune('0'+n)) }),
		WithoutValidation(),
		WithStrictJSON(),
	)
	reply, err := h.Handle(context.Background(), newEvent(t, "", `{"qty":0}`))
	if err != nil {
		t.Fatalf("validation should be off: %v", err)
	}
	if reply.Type() != "com.example.receipt" || reply.Source() != "https://example.com/billing" || reply.ID() != "r1" {
		t.Fatalf("reply attributes %s %s %s", reply.Type(), reply.Source(), reply.ID())
	}
	_, err = h.Handle(context.Background(), newEvent(t, "", `{"qty":0,"extra":true}`))
	if ClassOf(err) != ClassInvalidInput || !strings.Contains(err.Error(), `unknown field "extra"`) {
		t.Fatalf("strict JSON: %v", err)
	}
	_, err = h.Handle(context.Background(), newEvent(t, "", `{"qty":0} {}`))
	if ClassOf(err) != ClassInvalidInput {
		t.Fatalf("strict JSON trailing data: %v", err)
	}
}

func TestTypedSkipsValidationWithoutTags(t *testing.T) {
	type plain struct{ A int }
	h := newInput[plain](nil)
	if h.validate != nil {
		t.Fatal("a struct without validate tags should not be validated")
	}
	if newInput[order](nil).validate == nil {
		t.Fatal("a struct with validate tags must be validated")
	}
	if newInput[*order](nil).validate == nil {
		t.Fatal("a pointer to a struct with validate tags must be validated")
	}
	type wrapper struct{ Inner []orderItem }
	if newInput[wrapper](nil).validate == nil {
		t.Fatal("tags in nested element types must be found")
	}
}

func TestConstructorsPanicOnWiringMistakes(t *testing.T) {
	for name, f := range map[string]func(){
		"Typed(nil)":         func() { Typed[int, int](nil) },
		"TypedNoReply(nil)":  func() { TypedNoReply[int](nil) },
		"empty reply type":   func() { WithReplyType(" ") },
		"bad reply source":   func() { WithReplySource("%zz") },
		"nil id generator":   func() { WithIDGenerator(nil) },
		"nil validator":      func() { WithValidator(nil) },
		"empty reply source": func() { WithReplySource("") },
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
