package events

import (
	"testing"

	"github.com/fnkit/fnkit/handler"
)

// checkRecords fails on mapped records that break the AWSRecord contract.
func checkRecords(t *testing.T, recs []AWSRecord) {
	t.Helper()
	for i, r := range recs {
		if r.Event.Context == nil {
			t.Fatalf("record %d has no event", i)
		}
		if r.Err != nil && handler.ClassOf(r.Err) != handler.ClassInvalidInput {
			t.Fatalf("record %d: error %v is not invalid input", i, r.Err)
		}
	}
}

// FuzzAWSDetect feeds any bytes to DetectAWS and then to the decoder of
// the shape it names: nothing may panic, errors must be invalid input.
func FuzzAWSDetect(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{}","eventSourceARN":"arn:x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		trig, err := DetectAWS(b)
		if err != nil {
			if trig != AWSUnknown || handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Fatalf("DetectAWS = %v, %v", trig, err)
			}
			return
		}
		var recs []AWSRecord
		switch trig {
		case AWSSQS:
			recs, err = FromSQS(b)
		case AWSSNS:
			recs, err = FromSNS(b)
		case AWSS3:
			recs, err = FromS3(b)
		case AWSKinesis:
			recs, err = FromKinesis(b)
		case AWSDynamoDB:
			recs, err = FromDynamoDB(b)
		case AWSKafka:
			recs, err = FromKafka(b)
		case AWSCloudWatchLogs:
			recs, err = FromCloudWatchLogs(b)
		case AWSEventBridge, AWSS3EventBridge:
			var r AWSRecord
			r, err = FromEventBridge(b)
			if err == nil {
				recs = []AWSRecord{r}
			}
		}
		if err != nil && handler.ClassOf(err) != handler.ClassInvalidInput {
			t.Fatalf("%v decoder: %v is not invalid input", trig, err)
		}
		checkRecords(t, recs)
	})
}

// FuzzAWSRecords feeds any bytes to every record decoder directly.
func FuzzAWSRecords(f *testing.F) {
	f.Add([]byte(`{"Records":[{"kinesis":{"data":"!!","sequenceNumber":"1"},"eventID":"x","eventSourceARN":"arn:k"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fn := range []func([]byte) ([]AWSRecord, error){FromSQS, FromSNS, FromS3, FromKinesis, FromDynamoDB, FromKafka, FromCloudWatchLogs} {
			recs, err := fn(b)
			if err != nil && handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Fatalf("error %v is not invalid input", err)
			}
			checkRecords(t, recs)
		}
		if r, err := FromEventBridge(b); err == nil {
			checkRecords(t, []AWSRecord{r})
		}
	})
}
