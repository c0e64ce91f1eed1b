package azurefunctions

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/fnkit/fnkit/adapters/httpserver"
	"github.com/fnkit/fnkit/handler"
)

// Event Grid webhook handshake headers.
const (
	HeaderWebHookRequestOrigin = "WebHook-Request-Origin"
	HeaderWebHookAllowedOrigin = "WebHook-Allowed-Origin"
	HeaderWebHookAllowedRate   = "WebHook-Allowed-Rate"
	HeaderEventGridEventType   = "Aeg-Event-Type"
)

// maxValidationBody bounds a subscription validation request.
const maxValidationBody = 64 << 10

// WithEventGridHandshake wraps h, an http.Handler that takes Event Grid
// deliveries straight over HTTP (a webhook subscription to
// httpserver.New(…), say), with the two validation handshakes Event Grid
// performs before it delivers:
//
//   - CloudEvents v1.0 schema (the CloudEvents webhook abuse protection):
//     OPTIONS with WebHook-Request-Origin is answered 200 with
//     WebHook-Allowed-Origin set to that origin and WebHook-Allowed-Rate
//     set to rate ("*" when rate is empty: any rate);
//   - Event Grid schema: a POST with Aeg-Event-Type: SubscriptionValidation
//     whose body is the Microsoft.EventGrid.SubscriptionValidationEvent is
//     answered 200 with {"validationResponse": <validationCode>}; a
//     malformed one is answered 400 naming what is missing.
//
// Every other request goes to h unchanged. Functions behind the Functions
// host need neither: the host validates Event Grid subscriptions itself.
func WithEventGridHandshake(h http.Handler, rate string) http.Handler {
	if h == nil {
		panic("azurefunctions: WithEventGridHandshake(nil)")
	}
	if rate == "" {
		rate = "*"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodOptions && r.Header.Get(HeaderWebHookRequestOrigin) != "":
			w.Header().Set(HeaderWebHookAllowedOrigin, r.Header.Get(HeaderWebHookRequestOrigin))
			w.Header().Set(HeaderWebHookAllowedRate, rate)
			w.Header().Set("Allow", "OPTIONS, POST")
			w.WriteHeader(http.StatusOK)
		case r.Method == http.MethodPost && strings.EqualFold(r.Header.Get(HeaderEventGridEventType), "SubscriptionValidation"):
			code, err := validationCode(r)
			if err != nil {
				httpserver.WriteProblem(w, err)
				return
			}
			body, _ := json.Marshal(map[string]string{"validationResponse": code})
			w.Header().Set("Content-Type", mediaJSON)
			_, _ = w.Write(body)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// validationCode reads the validation code of a subscription validation
// request.
func validationCode(r *http.Request) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxValidationBody+1))
	if err != nil {
		return "", handler.InvalidInputf("azurefunctions: reading the validation request: %v", err)
	}
	if len(b) > maxValidationBody {
		return "", handler.InvalidInputf("azurefunctions: the validation request is larger than %d bytes", maxValidationBody)
	}
	var evs []struct {
		EventType string `json:"eventType"`
		Data      struct {
			ValidationCode string `json:"validationCode"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &evs); err != nil {
		return "", handler.InvalidInputf("azurefunctions: the validation request is not a JSON array of Event Grid events: %v", jsonError(err))
	}
	if len(evs) == 0 || evs[0].Data.ValidationCode == "" {
		return "", handler.InvalidInputf("azurefunctions: the validation request has no data.validationCode")
	}
	return evs[0].Data.ValidationCode, nil
}
