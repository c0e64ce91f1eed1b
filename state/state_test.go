package state_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fnkit/fnkit/state"
)

func TestNewVersion(t *testing.T) {
	seen := map[state.Version]bool{}
	for range 10000 {
		v := state.NewVersion()
		if v <= 0 {
			t.Fatalf("NewVersion() = %d; want a positive version", v)
		}
		if seen[v] {
			t.Fatalf("NewVersion() repeated %d", v)
		}
		seen[v] = true
	}
}

func TestExpiresAt(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	if got := state.ExpiresAt(now, 0); !got.IsZero() {
		t.Fatalf("ExpiresAt(now, 0) = %v; want zero", got)
	}
	if got := state.ExpiresAt(now, -time.Second); !got.IsZero() {
		t.Fatalf("ExpiresAt(now, -1s) = %v; want zero", got)
	}
	if got := state.ExpiresAt(now, time.Minute); !got.Equal(now.Add(time.Minute)) {
		t.Fatalf("ExpiresAt(now, 1m) = %v", got)
	}
}

func TestCheckArgs(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		ttl     time.Duration
		invalid bool // wants ErrInvalidKey
		err     bool
	}{
		{"ok", "k", 0, false, false},
		{"ttl", "k", time.Second, false, false},
		{"max length", strings.Repeat("k", state.MaxKeyLen), 0, false, false},
		{"NUL and not UTF-8", "\x00\xff", 0, false, false},
		{"empty", "", 0, true, true},
		{"too long", strings.Repeat("k", state.MaxKeyLen+1), 0, true, true},
		{"negative ttl", "k", -time.Nanosecond, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := state.CheckArgs(context.Background(), tt.key, tt.ttl)
			if (err != nil) != tt.err {
				t.Fatalf("CheckArgs = %v; want error: %v", err, tt.err)
			}
			if errors.Is(err, state.ErrInvalidKey) != tt.invalid {
				t.Fatalf("CheckArgs = %v; want ErrInvalidKey: %v", err, tt.invalid)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "state: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}
