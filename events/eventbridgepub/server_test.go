package eventbridgepub_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// server is a loopback EventBridge endpoint speaking AWS JSON 1.1 for
// PutEvents: its request checks (ten entries, 256 KiB in total, a JSON
// object as detail, required fields), per-entry error codes, error shapes
// and a SigV4 check. Each accepted entry goes to the rule target as the
// EventBridge event a Lambda function receives.
type server struct {
	srv *httptest.Server

	mu        sync.Mutex
	buses     map[string]bool
	delivered []json.RawMessage
	calls     int
	callErr   func() (int, string)
	entryErr  func(detail string) string
	max       int

	unsigned atomic.Int64
	delay    atomic.Int64
	next     atomic.Int64
	requests atomic.Int64
}

func newServer(t testing.TB) *server {
	s := startServer()
	t.Cleanup(s.srv.Close)
	return s
}

func startServer() *server {
	s := &server{buses: map[string]bool{"default": true}, max: 256 << 10}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *server) bus(name string) string {
	s.mu.Lock()
	s.buses[name] = true
	s.mu.Unlock()
	return name
}

func (s *server) events() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]json.RawMessage(nil), s.delivered...)
}

func (s *server) setFaults(call func() (int, string), entry func(string) string) {
	s.mu.Lock()
	s.callErr, s.entryErr = call, entry
	s.mu.Unlock()
}

func (s *server) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if d := s.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(auth, "Signature=") || r.Header.Get("X-Amz-Date") == "" {
		s.unsigned.Add(1)
		s.fail(w, 400, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		s.fail(w, 400, "UnknownOperationException", "only PutEvents over AWS JSON 1.1 is implemented here")
		return
	}
	var in struct {
		Entries []struct {
			Source, DetailType, Detail, EventBusName string
			Time                                     *float64
			Resources                                []string
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.fail(w, 400, "SerializationException", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.callErr != nil {
		if status, code := s.callErr(); status != 0 {
			s.fail(w, status, code, "injected "+code)
			return
		}
	}
	if n := len(in.Entries); n < 1 || n > 10 {
		s.fail(w, 400, "ValidationException", fmt.Sprintf("1 validation error detected: Value '[...]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 (has %d)", n))
		return
	}
	total := 0
	for _, e := range in.Entries {
		if e.Time != nil {
			total += 14
		}
		total += len(e.Source) + len(e.DetailType) + len(e.Detail)
		for _, r := range e.Resources {
			total += len(r)
		}
	}
	if total > s.max {
		s.fail(w, 400, "ValidationException", "Total size of the entries in the request is over the limit.")
		return
	}
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	for _, e := range in.Entries {
		bus := e.EventBusName
		if bus == "" {
			bus = "default"
		}
		var detail map[string]json.RawMessage
		switch {
		case !s.buses[bus]:
			out.Entries = append(out.Entries, result{ErrorCode: "InvalidArgument", ErrorMessage: "Event bus " + bus + " does not exist."})
		case e.Source == "" || e.DetailType == "":
			out.Entries = append(out.Entries, result{ErrorCode: "InvalidArgument", ErrorMessage: "Parameters Source and DetailType are required."})
		case utf8.RuneCountInString(e.DetailType) > 128:
			out.Entries = append(out.Entries, result{ErrorCode: "InvalidArgument", ErrorMessage: "DetailType is longer than 128 characters."})
		case json.Unmarshal([]byte(e.Detail), &detail) != nil:
			out.Entries = append(out.Entries, result{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."})
		default:
			if s.entryErr != nil {
				if code := s.entryErr(e.Detail); code != "" {
					out.Entries = append(out.Entries, result{ErrorCode: code, ErrorMessage: "injected " + code})
					break
				}
			}
			id := fmt.Sprintf("eb-%08d", s.next.Add(1))
			t := time.Now().UTC()
			if e.Time != nil {
				t = time.Unix(int64(*e.Time), 0).UTC()
			}
			res := e.Resources
			if res == nil {
				res = []string{}
			}
			ev, _ := json.Marshal(map[string]any{"version": "0", "id": id, "detail-type": e.DetailType, "source": e.Source,
				"account": "000000000000", "time": t.Format(time.RFC3339), "region": "us-east-1", "resources": res,
				"detail": json.RawMessage(e.Detail)})
			s.delivered = append(s.delivered, ev)
			out.Entries = append(out.Entries, result{EventID: id})
			continue
		}
		out.FailedEntryCount++
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}
