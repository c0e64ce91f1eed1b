package httpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/handler"
)

// BatchResult is the outcome of one event of a failed batch, listed in
// Problem.Results: its index in the batch, id and source (when they could
// be read), status, client-facing detail, and reply if it succeeded.
type BatchResult struct {
	Index  int                  `json:"index"`
	ID     string               `json:"id,omitempty"`
	Source string               `json:"source,omitempty"`
	Status int                  `json:"status"`
	Detail string               `json:"detail,omitempty"`
	Errors []handler.FieldError `json:"errors,omitempty"`
	Reply  *event.Event         `json:"reply,omitempty"`
}

// serveBatch handles each event of a batch in order. If all succeed, the
// replies go back as a batch (200). Otherwise the answer is a problem
// document whose status is that of the first retryable failure if any (so
// a sender that only reads the status retries the batch), else that of the
// first failure, and whose results say what happened to every event.
func (a *Handler) serveBatch(w http.ResponseWriter, r *http.Request, in *inbound, body []byte) {
	raws, err := decodeBatch(body)
	if err != nil {
		a.fail(w, r, nil, err)
		return
	}
	ctx, cancel := a.context(w, r, in)
	if cancel != nil {
		defer cancel()
	}
	results := make([]BatchResult, len(raws))
	replies := make([]*event.Event, 0, len(raws))
	failed, firstFail, firstRetry := 0, 0, 0
	var failErr error
	for i, raw := range raws {
		res := &results[i]
		res.Index = i
		e, err := decodeStructured(raw)
		if err == nil {
			res.ID, res.Source = e.ID(), e.Source()
			var reply *event.Event
			reply, err = handler.Call(ctx, a.h, e)
			if err == nil && reply != nil {
				if _, err = contextV1(reply); err == nil {
					res.Reply = reply
					replies = append(replies, reply)
				}
			}
		} else {
			res.ID, res.Source = identify(raw)
		}
		res.Status = StatusOf(err)
		if err == nil {
			continue
		}
		if e.Context != nil {
			a.logFailure(r, &e, res.Status, err)
		} else {
			a.logFailure(r, nil, res.Status, err)
		}
		p := ProblemFor(err)
		res.Detail, res.Errors = p.Detail, p.Errors
		failed++
		if firstFail == 0 {
			firstFail, failErr = res.Status, err
		}
		if firstRetry == 0 && handler.ClassOf(err).Retry() {
			firstRetry, failErr = res.Status, err
		}
	}
	if failed == 0 {
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, reply := range replies {
			if i > 0 {
				buf.WriteByte(',')
			}
			b, err := json.Marshal(reply)
			if err != nil {
				a.fail(w, r, reply, fmt.Errorf("%w: %w", errBadReply, err))
				return
			}
			buf.Write(b)
		}
		buf.WriteByte(']')
		w.Header().Set("Content-Type", mediaBatch)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return
	}
	status := firstFail
	if firstRetry != 0 {
		status = firstRetry
	}
	p := NewProblem(status, fmt.Sprintf("%d of %d events failed; see results", failed, len(raws)))
	p.Results = results
	p.RetryAfter = ProblemFor(failErr).RetryAfter
	p.Write(w)
}

// identify extracts the id and source of an event that failed to decode,
// for the batch report; it returns empty strings if it cannot.
func identify(raw json.RawMessage) (id, source string) {
	var v struct {
		ID     any `json:"id"`
		Source any `json:"source"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return "", ""
	}
	id, _ = v.ID.(string)
	source, _ = v.Source.(string)
	return id, source
}
