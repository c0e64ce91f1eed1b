package coldstart

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestAPIProgramsDoTheSameWork builds the three http-api programs of
// platform.sh and checks over loopback that they create, get and list
// orders alike and refuse the same bad input, so that their cold starts
// compare like with like.
func TestAPIProgramsDoTheSameWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three programs")
	}
	dir := t.TempDir()
	for _, p := range []string{"httpapibare", "httpapisingle", "httpapi"} {
		t.Run(p, func(t *testing.T) {
			base, stderr := start(t, dir, p, "HOST=127.0.0.1", "ORDERS_BOLT_PATH="+filepath.Join(dir, p+".db"))
			do := func(method, path, body string) (int, []byte) {
				for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
					req, _ := http.NewRequest(method, base+path, bytes.NewReader([]byte(body)))
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					return resp.StatusCode, b
				}
				t.Fatalf("no answer; stderr:\n%s", stderr.String())
				return 0, nil
			}
			if status, body := do("GET", "/orders?limit=1", ""); status != http.StatusOK || !bytes.Contains(body, []byte(`"orders":[]`)) {
				t.Fatalf("empty list: %d %s", status, body)
			}
			status, body := do("POST", "/orders", `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2},{"sku":"cup","qty":1}]}`)
			var o struct {
				ID    string `json:"id"`
				Units int    `json:"units"`
			}
			if status != http.StatusOK || json.Unmarshal(body, &o) != nil || o.ID == "" || o.Units != 3 {
				t.Fatalf("create: %d %s", status, body)
			}
			if status, body := do("GET", "/orders/"+o.ID, ""); status != http.StatusOK || !bytes.Contains(body, []byte(`"units":3`)) {
				t.Fatalf("get: %d %s", status, body)
			}
			if status, body := do("GET", "/orders?limit=1", ""); status != http.StatusOK || !bytes.Contains(body, []byte(o.ID)) {
				t.Fatalf("list: %d %s", status, body)
			}
			for _, bad := range []string{`{"customer":"not an email","items":[{"sku":"tea","qty":1}]}`, `{"customer":"ada@example.com","items":[]}`,
				`{"customer":"ada@example.com","items":[{"sku":"tea","qty":0}]}`, `{"customer":`} {
				if status, body := do("POST", "/orders", bad); status < 400 || status > 499 {
					t.Fatalf("%s: %d %s", bad, status, body)
				}
			}
			if status, _ := do("GET", "/orders/no-such-order", ""); status != http.StatusNotFound {
				t.Fatalf("missing order: %d", status)
			}
		})
	}
}
