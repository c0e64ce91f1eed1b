package sqspub_test

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// server is a loopback SQS endpoint speaking the AWS JSON 1.0 protocol of
// current SDK clients for SendMessageBatch, ReceiveMessage and
// DeleteMessageBatch: SQS's request checks and limits, MD5 digests the SDK
// verifies, FIFO deduplication, and its error shapes (a JSON __type and
// the x-amzn-query-error header). Every request must be SigV4 signed.
type server struct {
	srv *httptest.Server

	mu     sync.Mutex
	queues map[string]*queue
	calls  []string // operation of every request, in order
	// callFault, if set, may answer a whole request instead (status,
	// code, query code); entryFault may refuse one entry (code,
	// senderFault) by its body.
	callFault  func(op string) (int, string, string)
	entryFault func(body string) (string, bool)

	requests atomic.Int64
	delay    atomic.Int64 // nanoseconds each request waits before it is served
	unsigned atomic.Int64
}

type queue struct {
	url    string
	fifo   bool
	max    int
	msgs   []*message
	dedups map[string]bool
	next   int
}

type message struct {
	id, body, group, dedup, receipt string
	sent                            time.Time
	inFlight                        bool
	receives                        int
}

func newServer(t testing.TB) *server {
	s := startServer()
	t.Cleanup(s.srv.Close)
	return s
}

// startServer starts a server on 127.0.0.1; close it with s.srv.Close.
func startServer() *server {
	s := &server{queues: map[string]*queue{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// queue creates a queue named name and returns its URL.
func (s *server) queue(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.srv.URL + "/000000000000/" + name
	s.queues[u] = &queue{url: u, fifo: strings.HasSuffix(name, ".fifo"), max: 1 << 20, dedups: map[string]bool{}}
	return u
}

func (s *server) messages(url string) []message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []message
	for _, m := range s.queues[url].msgs {
		out = append(out, *m)
	}
	return out
}

func (s *server) setFaults(call func(op string) (int, string, string), entry func(body string) (string, bool)) {
	s.mu.Lock()
	s.callFault, s.entryFault = call, entry
	s.mu.Unlock()
}

func (s *server) ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

type apiError struct {
	status            int
	code, query, text string
}

func (s *server) fail(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if e.query != "" {
		fault := "Sender"
		if e.status >= 500 {
			fault = "Receiver"
		}
		w.Header().Set("x-amzn-query-error", e.query+";"+fault)
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.sqs#" + e.code, "message": e.text})
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if d := s.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(auth, "Signature=") || r.Header.Get("X-Amz-Date") == "" {
		s.unsigned.Add(1)
		s.fail(w, apiError{403, "MissingAuthenticationTokenException", "", "Request is missing Authentication Token"})
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		s.fail(w, apiError{400, "InvalidAction", "AWS.SimpleQueueService.InvalidAction", "not an AWS JSON 1.0 request"})
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	if !ok {
		s.fail(w, apiError{400, "UnknownOperationException", "", "no X-Amz-Target"})
		return
	}
	var in map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		s.fail(w, apiError{400, "SerializationException", "", err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, op)
	if s.callFault != nil {
		if status, code, query := s.callFault(op); status != 0 {
			s.fail(w, apiError{status, code, query, "injected " + code})
			return
		}
	}
	var url string
	_ = json.Unmarshal(in["QueueUrl"], &url)
	q := s.queues[url]
	if q == nil {
		s.fail(w, apiError{400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist."})
		return
	}
	var out any
	var e *apiError
	switch op {
	case "SendMessageBatch":
		out, e = s.sendBatch(q, in["Entries"])
	case "ReceiveMessage":
		out, e = s.receive(q, in)
	case "DeleteMessageBatch":
		out, e = s.deleteBatch(q, in["Entries"])
	default:
		e = &apiError{400, "InvalidAction", "AWS.SimpleQueueService.InvalidAction", "operation " + op + " is not implemented here"}
	}
	if e != nil {
		s.fail(w, *e)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(out)
}

type failed struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (s *server) sendBatch(q *queue, raw json.RawMessage) (any, *apiError) {
	var entries []struct {
		ID                     string `json:"Id"`
		MessageBody            string `json:"MessageBody"`
		MessageGroupID         string `json:"MessageGroupId"`
		MessageDeduplicationID string `json:"MessageDeduplicationId"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, &apiError{400, "SerializationException", "", err.Error()}
	}
	if len(entries) == 0 {
		return nil, &apiError{400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request."}
	}
	if len(entries) > 10 {
		return nil, &apiError{400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", fmt.Sprintf("Maximum number of entries per request are 10. You have sent %d.", len(entries))}
	}
	seen, total := map[string]bool{}, 0
	for _, en := range entries {
		if !validBatchID(en.ID) {
			return nil, &apiError{400, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."}
		}
		if seen[en.ID] {
			return nil, &apiError{400, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id " + en.ID + " repeated."}
		}
		seen[en.ID] = true
		total += len(en.MessageBody)
	}
	if total > q.max {
		return nil, &apiError{400, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", fmt.Sprintf("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", q.max, total)}
	}
	type ok struct {
		ID               string `json:"Id"`
		MessageID        string `json:"MessageId"`
		MD5OfMessageBody string `json:"MD5OfMessageBody"`
		SequenceNumber   string `json:"SequenceNumber,omitempty"`
	}
	out := struct {
		Successful []ok     `json:"Successful"`
		Failed     []failed `json:"Failed"`
	}{Successful: []ok{}, Failed: []failed{}}
	for _, en := range entries {
		refuse := func(code, text string, sender bool) {
			out.Failed = append(out.Failed, failed{en.ID, sender, code, text})
		}
		switch {
		case en.MessageBody == "":
			refuse("MissingParameter", "The request must contain the parameter MessageBody.", true)
			continue
		case q.fifo && en.MessageGroupID == "":
			refuse("MissingParameter", "The request must contain the parameter MessageGroupId.", true)
			continue
		case !q.fifo && en.MessageDeduplicationID != "":
			refuse("InvalidParameterValue", "The request include parameter that is not valid for this queue type", true)
			continue
		case q.fifo && en.MessageDeduplicationID == "":
			refuse("InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly", true)
			continue
		}
		if s.entryFault != nil {
			if code, sender := s.entryFault(en.MessageBody); code != "" {
				refuse(code, "injected "+code, sender)
				continue
			}
		}
		q.next++
		m := &message{id: fmt.Sprintf("m-%06d", q.next), body: en.MessageBody, group: en.MessageGroupID, dedup: en.MessageDeduplicationID, sent: time.Now()}
		sum := md5.Sum([]byte(en.MessageBody))
		res := ok{ID: en.ID, MessageID: m.id, MD5OfMessageBody: hex.EncodeToString(sum[:])}
		if q.fifo {
			res.SequenceNumber = strconv.Itoa(q.next)
			if q.dedups[m.dedup] {
				out.Successful = append(out.Successful, res) // accepted, not enqueued again
				continue
			}
			q.dedups[m.dedup] = true
		}
		q.msgs = append(q.msgs, m)
		out.Successful = append(out.Successful, res)
	}
	return out, nil
}

func (s *server) receive(q *queue, in map[string]json.RawMessage) (any, *apiError) {
	max := 1
	if raw, ok := in["MaxNumberOfMessages"]; ok {
		_ = json.Unmarshal(raw, &max)
	}
	if max < 1 || max > 10 {
		return nil, &apiError{400, "InvalidParameterValue", "InvalidParameterValue", fmt.Sprintf("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)}
	}
	type msg struct {
		MessageID     string            `json:"MessageId"`
		ReceiptHandle string            `json:"ReceiptHandle"`
		MD5OfBody     string            `json:"MD5OfBody"`
		Body          string            `json:"Body"`
		Attributes    map[string]string `json:"Attributes"`
	}
	out := struct {
		Messages []msg `json:"Messages,omitempty"`
	}{}
	for _, m := range q.msgs {
		if len(out.Messages) == max {
			break
		}
		if m.inFlight {
			continue
		}
		m.inFlight = true
		m.receives++
		m.receipt = fmt.Sprintf("rh-%s-%d", m.id, m.receives)
		sum := md5.Sum([]byte(m.body))
		attrs := map[string]string{"SentTimestamp": strconv.FormatInt(m.sent.UnixMilli(), 10), "ApproximateReceiveCount": strconv.Itoa(m.receives)}
		if m.group != "" {
			attrs["MessageGroupId"] = m.group
			attrs["MessageDeduplicationId"] = m.dedup
		}
		out.Messages = append(out.Messages, msg{m.id, m.receipt, hex.EncodeToString(sum[:]), m.body, attrs})
	}
	return out, nil
}

func (s *server) deleteBatch(q *queue, raw json.RawMessage) (any, *apiError) {
	var entries []struct {
		ID            string `json:"Id"`
		ReceiptHandle string `json:"ReceiptHandle"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, &apiError{400, "SerializationException", "", err.Error()}
	}
	if len(entries) == 0 {
		return nil, &apiError{400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", "There should be at least one DeleteMessageBatchRequestEntry in the request."}
	}
	if len(entries) > 10 {
		return nil, &apiError{400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10."}
	}
	type ok struct {
		ID string `json:"Id"`
	}
	out := struct {
		Successful []ok     `json:"Successful"`
		Failed     []failed `json:"Failed"`
	}{Successful: []ok{}, Failed: []failed{}}
	for _, en := range entries {
		found := false
		for i, m := range q.msgs {
			if m.inFlight && m.receipt == en.ReceiptHandle {
				q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			out.Failed = append(out.Failed, failed{en.ID, true, "ReceiptHandleIsInvalid", "The input receipt handle is invalid."})
			continue
		}
		out.Successful = append(out.Successful, ok{en.ID})
	}
	return out, nil
}
