package ceheader

import (
	"fmt"
	"net/url"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":         "plain",
		"a b":           "a%20b",
		`say "hi"`:      "say%20%22hi%22",
		"100%":          "100%25",
		"café":          "caf%C3%A9",
		"line\nbreak":   "line%0Abreak",
		"":              "",
		"/orders/o-1?x": "/orders/o-1?x",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		if back, err := url.PathUnescape(Escape(in)); err != nil || back != in {
			t.Errorf("round trip of %q: %q, %v", in, back, err)
		}
	}
}

func ExampleEscape() {
	fmt.Println(Escape("50% off"))
	// Output: 50%25%20off
}
