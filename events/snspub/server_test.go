package snspub_test

import (
	"encoding/xml"
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

// batchServer is a loopback SNS endpoint speaking the query protocol for
// PublishBatch and Publish, which GoAWS v0.4.4 lacks (PublishBatch) or
// cannot fail on demand: SNS's batch checks and limits, FIFO rules, and
// its XML error shape. Every request must be SigV4 signed.
type batchServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	topics   map[string]bool // ARN → exists
	msgs     []published
	calls    []string
	callErr  func(action string) (int, string)   // status, code
	entryErr func(message string) (string, bool) // code, sender fault
	max      int

	unsigned atomic.Int64
	delay    atomic.Int64
	requests atomic.Int64
}

type published struct {
	topic, message, group, dedup string
}

func newBatchServer(t testing.TB) *batchServer {
	s := startBatchServer()
	t.Cleanup(s.srv.Close)
	return s
}

// startBatchServer starts a server on 127.0.0.1; close it with s.srv.Close.
func startBatchServer() *batchServer {
	s := &batchServer{topics: map[string]bool{}, max: 256 << 10}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *batchServer) topic(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	arn := "arn:aws:sns:us-east-1:000000000000:" + name
	s.topics[arn] = true
	return arn
}

func (s *batchServer) messages() []published {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]published(nil), s.msgs...)
}

func (s *batchServer) ops() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *batchServer) setFaults(call func(string) (int, string), entry func(string) (string, bool)) {
	s.mu.Lock()
	s.callErr, s.entryErr = call, entry
	s.mu.Unlock()
}

const snsNS = "http://sns.amazonaws.com/doc/2010-03-31/"

func (s *batchServer) fail(w http.ResponseWriter, status int, code, msg string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
		snsNS, typ, code, xmlText(msg))
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (s *batchServer) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if d := s.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(auth, "Signature=") {
		s.unsigned.Add(1)
		s.fail(w, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, 400, "MalformedQueryString", err.Error())
		return
	}
	action := r.PostForm.Get("Action")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, action)
	if s.callErr != nil {
		if status, code := s.callErr(action); status != 0 {
			s.fail(w, status, code, "injected "+code)
			return
		}
	}
	arn := r.PostForm.Get("TopicArn")
	if !s.topics[arn] {
		s.fail(w, 404, "NotFound", "Topic does not exist")
		return
	}
	fifo := strings.HasSuffix(arn, ".fifo")
	switch action {
	case "Publish":
		m := published{arn, r.PostForm.Get("Message"), r.PostForm.Get("MessageGroupId"), r.PostForm.Get("MessageDeduplicationId")}
		if len(m.message) > s.max {
			s.fail(w, 400, "InvalidParameter", "Invalid parameter: Message too long")
			return
		}
		if fifo && m.group == "" {
			s.fail(w, 400, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
			return
		}
		s.msgs = append(s.msgs, m)
		fmt.Fprintf(w, `<PublishResponse xmlns="%s"><PublishResult><MessageId>m-%d</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`, snsNS, len(s.msgs))
	case "PublishBatch":
		s.publishBatch(w, r, arn, fifo)
	default:
		s.fail(w, 400, "InvalidAction", "The action "+action+" is not valid for this endpoint.")
	}
}

func (s *batchServer) publishBatch(w http.ResponseWriter, r *http.Request, arn string, fifo bool) {
	type entry struct{ id, message, group, dedup string }
	var entries []entry
	for i := 1; ; i++ {
		p := "PublishBatchRequestEntries.member." + strconv.Itoa(i) + "."
		id, ok := r.PostForm[p+"Id"]
		if !ok {
			break
		}
		entries = append(entries, entry{id[0], r.PostForm.Get(p + "Message"), r.PostForm.Get(p + "MessageGroupId"), r.PostForm.Get(p + "MessageDeduplicationId")})
	}
	if len(entries) == 0 {
		s.fail(w, 400, "EmptyBatchRequest", "The batch request doesn't contain any entries.")
		return
	}
	if len(entries) > 10 {
		s.fail(w, 400, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
		return
	}
	seen, total := map[string]bool{}, 0
	for _, en := range entries {
		if seen[en.id] {
			s.fail(w, 400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
			return
		}
		seen[en.id] = true
		total += len(en.message)
	}
	if total > s.max {
		s.fail(w, 400, "BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
		return
	}
	var ok, failed strings.Builder
	for _, en := range entries {
		refuse := func(code, msg string, sender bool) {
			fmt.Fprintf(&failed, "<member><Id>%s</Id><Code>%s</Code><Message>%s</Message><SenderFault>%t</SenderFault></member>", en.id, code, xmlText(msg), sender)
		}
		if fifo && en.group == "" {
			refuse("InvalidParameter", "The MessageGroupId parameter is required for FIFO topics", true)
			continue
		}
		if !fifo && en.dedup != "" {
			refuse("InvalidParameter", "The request includes MessageDeduplicationId parameter that is not valid for this topic type", true)
			continue
		}
		if s.entryErr != nil {
			if code, sender := s.entryErr(en.message); code != "" {
				refuse(code, "injected "+code, sender)
				continue
			}
		}
		s.msgs = append(s.msgs, published{arn, en.message, en.group, en.dedup})
		fmt.Fprintf(&ok, "<member><Id>%s</Id><MessageId>m-%d</MessageId></member>", en.id, len(s.msgs))
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<PublishBatchResponse xmlns="%s"><PublishBatchResult><Successful>%s</Successful><Failed>%s</Failed></PublishBatchResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishBatchResponse>`,
		snsNS, ok.String(), failed.String())
}
