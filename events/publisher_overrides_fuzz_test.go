package events_test

import (
	"strings"
	"testing"

	"github.com/fnkit/fnkit/events"
)

// FuzzParseOverrides: K_CE_OVERRIDES parsing never panics; it either
// fails naming the variable or gives extensions with valid names that an
// event accepts.
func FuzzParseOverrides(f *testing.F) {
	for _, s := range []string{``, `{"extensions":{"cluster":"eu-1"}}`, `{"extensions":{"A":"x"}}`, `{"extensions":{"id":"x"}}`, `{"extensions":null}`, `{"extensions":{"a":1}}`, `{} []`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := events.ParseOverrides(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "events: K_CE_OVERRIDES") {
				t.Fatalf("error does not name K_CE_OVERRIDES: %v", err)
			}
			return
		}
		e := newEvent("1", "t")
		o.Apply(&e)
		if verr := e.Validate(); verr != nil {
			t.Fatalf("overrides %v make an invalid event: %v", o.Extensions, verr)
		}
	})
}
