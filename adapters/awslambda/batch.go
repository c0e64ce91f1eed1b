package awslambda

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fnkit/fnkit/events"
)

// run handles recs with at most conc at once and returns each one's error.
func (f *Function) run(in *invocation, recs []events.AWSRecord, conc int) []error {
	errs := make([]error, len(recs))
	if conc <= 1 || len(recs) <= 1 {
		for i := range recs {
			errs[i] = f.handle(in, i, &recs[i])
		}
		return errs
	}
	f.parallel(len(recs), conc, func(i int) { errs[i] = f.handle(in, i, &recs[i]) })
	return errs
}

// parallel calls fn(0..n-1) with at most conc calls at once: conc-1
// goroutines and the caller's take the next index until none is left.
func (f *Function) parallel(n, conc int, fn func(i int)) {
	if conc > n {
		conc = n
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// queue handles an SQS batch. Standard queues: every message, with bounded
// concurrency; the failed ones are reported. FIFO queues (messages with a
// MessageGroupId): the groups run concurrently, each group in order; at
// the first failure in a group, that message and every later message of
// the group are reported failed without being handled.
func (f *Function) queue(in *invocation, recs []events.AWSRecord) ([]byte, error) {
	var errs []error
	fifo := false
	for i := range recs {
		if recs[i].Group != "" {
			fifo = true
			break
		}
	}
	if fifo {
		errs = f.fifo(in, recs)
	} else {
		errs = f.run(in, recs, f.cfg.concurrency)
	}
	var failed []int
	for i, err := range errs {
		if err != nil {
			failed = append(failed, i)
		}
	}
	return f.batchResponse(in, recs, errs, failed)
}

// skippedError marks FIFO messages after a failure in their group.
type skippedError struct{ after string }

func (s skippedError) Error() string {
	return "awslambda: not handled: an earlier message of its FIFO group failed (messageId " + s.after + ")"
}

func (f *Function) fifo(in *invocation, recs []events.AWSRecord) []error {
	errs := make([]error, len(recs))
	var groups [][]int
	index := map[string]int{}
	for i := range recs {
		g, ok := index[recs[i].Group]
		if !ok {
			g = len(groups)
			index[recs[i].Group] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	runGroup := func(g int) {
		for k, i := range groups[g] {
			if errs[i] = f.handle(in, i, &recs[i]); errs[i] != nil {
				for _, j := range groups[g][k+1:] {
					errs[j] = skippedError{after: recs[i].ItemID}
				}
				return
			}
		}
	}
	if f.cfg.concurrency <= 1 || len(groups) == 1 {
		for g := range groups {
			runGroup(g)
		}
	} else {
		f.parallel(len(groups), f.cfg.concurrency, runGroup)
	}
	return errs
}

// stream handles a Kinesis or DynamoDB Streams batch, reporting from the
// lowest failed sequence number.
func (f *Function) stream(in *invocation, recs []events.AWSRecord) ([]byte, error) {
	errs := make([]error, len(recs))
	if f.cfg.streamConc <= 1 {
		for i := range recs {
			if errs[i] = f.handle(in, i, &recs[i]); errs[i] != nil {
				return f.batchResponse(in, recs, errs, []int{i})
			}
		}
		return f.batchResponse(in, recs, errs, nil)
	}
	errs = f.run(in, recs, f.cfg.streamConc)
	low := -1
	for i, err := range errs {
		if err != nil && (low < 0 || seqLess(recs[i].ItemID, recs[low].ItemID)) {
			low = i
		}
	}
	if low < 0 {
		return f.batchResponse(in, recs, errs, nil)
	}
	return f.batchResponse(in, recs, errs, []int{low})
}

// seqLess compares decimal sequence numbers of any length.
func seqLess(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

var emptyBatchResponse = []byte(`{"batchItemFailures":[]}`)

// batchResponse encodes the partial batch response for the failed
// records. If every record failed, or a failed record has no item id, the
// invocation fails instead, so that the whole batch is retried whatever
// the event source mapping's settings.
func (f *Function) batchResponse(in *invocation, recs []events.AWSRecord, errs []error, failed []int) ([]byte, error) {
	if len(failed) == 0 {
		return emptyBatchResponse, nil
	}
	allFailed := true
	for _, err := range errs {
		if err == nil {
			allFailed = false
			break
		}
	}
	for _, i := range failed {
		if recs[i].ItemID == "" {
			return nil, fmt.Errorf("awslambda: %v record %d failed and has no id to report, failing the batch: %w", in.info.Trigger, i, errs[i])
		}
	}
	if allFailed && len(recs) > 0 && in.info.Trigger == events.AWSSQS {
		return nil, fmt.Errorf("awslambda: all %d SQS records failed; record 0 (messageId %q): %w", len(recs), recs[0].ItemID, errs[0])
	}
	type item struct {
		ItemIdentifier string `json:"itemIdentifier"`
	}
	var resp struct {
		BatchItemFailures []item `json:"batchItemFailures"`
	}
	resp.BatchItemFailures = make([]item, len(failed))
	for k, i := range failed {
		resp.BatchItemFailures[k].ItemIdentifier = recs[i].ItemID
	}
	return json.Marshal(&resp)
}
