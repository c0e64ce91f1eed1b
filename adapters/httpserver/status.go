package httpserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/fnkit/fnkit/handler"
)

// statusOf maps an error to its HTTP status: the one table of this adapter.
//
//	nil                                   200 with a reply, 204 without
//	invalid input                         400
//	  … body over the limit               413
//	  … unsupported media type            415
//	permanent failure                     422
//	throttled                             429 (+ Retry-After)
//	retryable                             500
//	  … deadline exceeded                 504
func statusOf(err error) int {
	switch handler.ClassOf(err) {
	case handler.ClassNone:
		return http.StatusOK
	case handler.ClassInvalidInput:
		switch {
		case errors.Is(err, errBodyTooLarge):
			return http.StatusRequestEntityTooLarge
		case errors.Is(err, handler.ErrUnsupportedMediaType):
			return http.StatusUnsupportedMediaType
		}
		return http.StatusBadRequest
	case handler.ClassPermanent:
		return http.StatusUnprocessableEntity
	case handler.ClassThrottled:
		return http.StatusTooManyRequests
	}
	if handler.IsDeadline(err) {
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}

// problem is an RFC 9457 problem details document.
type problem struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail,omitempty"`
	Errors []handler.FieldError `json:"errors,omitempty"`
	// Results lists the outcome of each event of a failed batch.
	Results []batchResult `json:"results,omitempty"`
}

// newProblem describes err for a client. Only client-facing detail is
// included: the text of an invalid-input error, and the Detail and Fields of
// any classified error. Nothing of a 5xx error's message leaks.
func newProblem(status int, err error) problem {
	p := problem{Type: "about:blank", Title: http.StatusText(status), Status: status}
	if status < 500 {
		p.Detail, p.Errors = handler.Detail(err)
	}
	return p
}

// writeProblem writes an application/problem+json response.
func writeProblem(w http.ResponseWriter, p problem, err error) {
	h := w.Header()
	h.Set("Content-Type", mediaProblem)
	h.Set("X-Content-Type-Options", "nosniff")
	if p.Status == http.StatusTooManyRequests {
		h.Set("Retry-After", retryAfter(err))
	}
	body, _ := json.Marshal(p) // a problem always encodes
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// retryAfter formats the Retry-After header in whole seconds, at least 1.
func retryAfter(err error) string {
	d := handler.RetryAfter(err)
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return strconv.FormatInt(secs, 10)
}
