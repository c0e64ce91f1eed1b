package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/state/memstore"
)

// TestOnAzureFunctions: the same API as an Azure Functions custom handler
// with HTTP forwarding, as deploy/azure/host.json configures it.
func TestOnAzureFunctions(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	h := azurefunctions.New([]azurefunctions.Function{AzureFunction(newHTTPHandler(memstore.New(), quiet))}, azurefunctions.WithLogger(quiet))
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/orders", strings.NewReader(`{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "az-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"customer":"ada@example.com"`) {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
}
