package handler

import (
	"context"
	"testing"
)

// FuzzTypedDecode feeds arbitrary content types and data to typed handlers:
// they must never panic, must reach the function only with decoded input,
// and must answer anything else with an invalid-input error that says what
// was wrong.
func FuzzTypedDecode(f *testing.F) {
	f.Add("application/json", []byte(`{"id":"o1","qty":3,"items":[{"sku":"abcd"}]}`))
	f.Add("", []byte(`{"id":"o1","qty":"3"}`))
	f.Add("text/plain", []byte("hello"))
	f.Add("application/cloudevents+json", []byte(`{"id":`))
	f.Add("application/octet-stream", []byte{0, 1, 2})
	f.Add("application/json; charset=utf-8", []byte(`null`))

	calls := 0
	structured := Typed(func(ctx context.Context, in order) (receipt, error) {
		calls++
		if in.ID == "" || in.Qty < 1 || in.Qty > 100 {
			t := "validated input escaped validation"
			panic(t)
		}
		return receipt{OrderID: in.ID}, nil
	})
	text := Typed(func(ctx context.Context, in string) (string, error) { return in, nil })
	raw := Typed(func(ctx context.Context, in []byte) ([]byte, error) { return in, nil })

	f.Fuzz(func(t *testing.T, ct string, data []byte) {
		e := newEvent(t, "", "")
		e.SetDataContentType(ct)
		e.DataEncoded = data
		for name, h := range map[string]Handler{"struct": structured, "string": text} {
			before := calls
			reply, err := h.Handle(context.Background(), e)
			if err != nil {
				if ClassOf(err) != ClassInvalidInput {
					t.Fatalf("%s: class %v for %v", name, ClassOf(err), err)
				}
				if d, _ := Detail(err); d == "" {
					t.Fatalf("%s: invalid input without detail: %v", name, err)
				}
				if name == "struct" && calls != before {
					t.Fatal("function ran on invalid input")
				}
				continue
			}
			if reply == nil || reply.Validate() != nil {
				t.Fatalf("%s: bad reply %v", name, reply)
			}
		}
		reply, err := raw.Handle(context.Background(), e)
		if err != nil || string(reply.Data()) != string(data) {
			t.Fatalf("[]byte handler changed data: %v", err)
		}
	})
}
