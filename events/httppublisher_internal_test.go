package events

import (
	"net/http"
	"testing"
	"time"

	"github.com/fnkit/fnkit/internal/ceheader"
)

func TestBackoffBoundsAndJitter(t *testing.T) {
	p, err := NewHTTPPublisher("http://127.0.0.1:1/", WithRetries(10, 100*time.Millisecond, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 12; attempt++ {
		step := min(100*time.Millisecond<<(attempt-1), 2*time.Second)
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.backoff(attempt)
			if d < step/2 || d > step {
				t.Fatalf("attempt %d: wait %v outside [%v, %v]", attempt, d, step/2, step)
			}
			seen[d] = true
		}
		if len(seen) < 50 {
			t.Fatalf("attempt %d: only %d distinct waits in 200: no jitter", attempt, len(seen))
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for in, want := range map[string]time.Duration{"3": 3 * time.Second, " 0 ": 0, "-5": 0, "soon": 0, "999999999": 24 * time.Hour} {
		if got := parseRetryAfter(in); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	if got := parseRetryAfter(future); got < 85*time.Second || got > 90*time.Second {
		t.Errorf("parseRetryAfter(HTTP date in 90s) = %v", got)
	}
}

func TestEscapeHeader(t *testing.T) {
	for in, want := range map[string]string{"plain-1": "plain-1", "a b": "a%20b", `"%`: "%22%25", "é": "%C3%A9", "\n": "%0A"} {
		if got := ceheader.Escape(in); got != want {
			t.Errorf("ceheader.Escape(%q) = %q, want %q", in, got, want)
		}
	}
}
