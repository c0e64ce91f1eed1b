package coldstart

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/fnkit/fnkit/examples/hello/greet"
)

// TestProgramsDoTheSameWork builds the three measured programs and checks
// over loopback that they answer the same requests alike, so that the
// cold-start comparison is fair.
func TestProgramsDoTheSameWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three programs")
	}
	dir := t.TempDir()
	for _, p := range []string{"bare", "hello", "hellostack"} {
		t.Run(p, func(t *testing.T) {
			base, stderr := start(t, dir, p)
			url := base + "/"
			post := func(body string) (int, string) {
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					resp, err := http.Post(url, "application/json", bytes.NewReader([]byte(body)))
					if err != nil {
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					return resp.StatusCode, string(b)
				}
				t.Fatalf("no answer; stderr:\n%s", stderr.String())
				return 0, ""
			}
			status, body := post(`{"name":"Ada","language":"fr"}`)
			var r greet.Response
			if status != http.StatusOK || json.Unmarshal([]byte(body), &r) != nil || r.Greeting != "Bonjour, Ada !" {
				t.Fatalf("status %d body %q", status, body)
			}
			for _, bad := range []string{`{}`, `{"name":"Ada","language":"de"}`, `{"name":`} {
				if status, body := post(bad); status != http.StatusBadRequest {
					t.Fatalf("%s: status %d body %q", bad, status, body)
				}
			}
		})
	}
}
