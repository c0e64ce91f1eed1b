package httpserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/fnkit/fnkit/handler"
)

// StatusOf maps an error to its HTTP status: the one table of fnkit's
// HTTP adapters, which every adapter that carries HTTP (API Gateway, Cloud
// Functions, Knative) and any user's own HTTP code can share.
//
//	nil                                   200
//	invalid input                         400
//	  … body over the limit               413
//	  … unsupported media type            415
//	permanent failure                     422
//	throttled                             429 (+ Retry-After)
//	retryable                             500
//	  … deadline exceeded                 504
func StatusOf(err error) int {
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

// Problem is an RFC 9457 problem details document, the body of every
// 4xx and 5xx answer of this package. Make one with NewProblem or
// ProblemFor and send it with Write.
type Problem struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail,omitempty"`
	Errors []handler.FieldError `json:"errors,omitempty"`
	// Results lists the outcome of each event of a failed batch.
	Results []BatchResult `json:"results,omitempty"`
	// RetryAfter, if positive, is sent as the Retry-After header.
	RetryAfter time.Duration `json:"-"`
}

// NewProblem returns the problem document of status with a client-facing
// detail (which may be empty). Its title is the status's RFC 9110 name.
func NewProblem(status int, detail string) Problem {
	return Problem{Type: "about:blank", Title: statusTitle(status), Status: status, Detail: detail}
}

// ProblemFor describes err for a client, with the status StatusOf gives.
// Only client-facing detail is included: the text of an invalid-input
// error, and the Detail and Fields of any classified error (see
// handler.Detail); nothing of a 5xx error's message leaks. A throttled
// error's retry delay becomes RetryAfter.
func ProblemFor(err error) Problem {
	p := NewProblem(StatusOf(err), "")
	if p.Status < 500 {
		p.Detail, p.Errors = handler.Detail(err)
	}
	if p.Status == http.StatusTooManyRequests {
		p.RetryAfter = max(handler.RetryAfter(err), time.Second)
	}
	return p
}

// WriteProblem answers err with its problem document: ProblemFor(err).Write(w).
func WriteProblem(w http.ResponseWriter, err error) {
	ProblemFor(err).Write(w)
}

// Write sends p as an application/problem+json response, with Retry-After
// in whole seconds (at least 1) when p.RetryAfter is positive, or for 429.
func (p Problem) Write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", mediaProblem)
	h.Set("X-Content-Type-Options", "nosniff")
	if p.RetryAfter > 0 || p.Status == http.StatusTooManyRequests {
		h.Set("Retry-After", retryAfter(p.RetryAfter))
	}
	body, _ := json.Marshal(p) // a problem always encodes
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// statusTitle is the RFC 9110 name of a status, which for 413 and 422
// differs from the older names of http.StatusText.
func statusTitle(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "Content Too Large"
	case http.StatusUnprocessableEntity:
		return "Unprocessable Content"
	}
	return http.StatusText(status)
}

// retryAfter formats a Retry-After header in whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return strconv.FormatInt(secs, 10)
}
