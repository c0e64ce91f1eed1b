package testserver_test

import (
	"testing"

	"github.com/fnkit/fnkit/internal/testserver"
)

// A store's tests run against a real server; TestMain stops it at the end.
// (Examples cannot take a *testing.T, so this one is compiled, not run.)
func Example() {
	_ = func(t *testing.T) {
		redis := testserver.Redis(t)         // started on first use, shared by the binary
		_ = redis.Addr                       // 127.0.0.1:<free port>
		if err := redis.Stop(); err != nil { // an outage, on purpose
			t.Fatal(err)
		}
		if err := redis.Start(); err != nil { // back on the same address
			t.Fatal(err)
		}
	}
}
