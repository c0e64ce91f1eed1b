package events

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnkit/fnkit/handler"
)

func readAWS(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "aws", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDetectAWS(t *testing.T) {
	cases := map[string]AWSTrigger{
		"sqs.json": AWSSQS, "sqs_fifo.json": AWSSQS, "sqs_cloudevent.json": AWSSQS, "sns.json": AWSSNS, "s3.json": AWSS3,
		"s3_eventbridge.json": AWSS3EventBridge, "eventbridge.json": AWSEventBridge, "scheduled.json": AWSEventBridge,
		"kinesis.json": AWSKinesis, "dynamodb.json": AWSDynamoDB, "kafka_msk.json": AWSKafka, "kafka_selfmanaged.json": AWSKafka,
		"cloudwatchlogs.json": AWSCloudWatchLogs, "apigw_v1.json": AWSAPIGatewayV1, "apigw_v2.json": AWSAPIGatewayV2,
		"function_url.json": AWSFunctionURL, "alb.json": AWSALB, "cloudevent.json": AWSCloudEvent, "direct.json": AWSDirect,
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := DetectAWS(readAWS(t, name))
			if err != nil || got != want {
				t.Fatalf("DetectAWS = %v, %v; want %v", got, err, want)
			}
		})
	}
	for _, direct := range []string{`42`, `"hello"`, `[1,2]`, `null`, ` {"a": {"b": [1, "x\"y"]}} `, `{}`} {
		if got, err := DetectAWS([]byte(direct)); err != nil || got != AWSDirect {
			t.Errorf("DetectAWS(%s) = %v, %v; want direct", direct, got, err)
		}
	}
	bad := map[string]string{
		``: "empty payload",
		`{"Records":[{"eventSource":"aws:ses"}]}`: `"aws:ses" is not a known AWS trigger`,
		`{"Records":[{"x":1}]}`:                   "no eventSource",
		`{"Records":[]}`:                          "Records is empty",
		`{"Records":[{"eventSource":"aws:sqs"`:    "truncated JSON",
		`{"a":1`:                                  "truncated JSON",
		`{"a" 1}`:                                 "want ':'",
		`hello`:                                   "invalid character 'h'",
		`{"a":1} x`:                               "not JSON",
		`42 43`:                                   "data after the value",
	}
	for in, want := range bad {
		got, err := DetectAWS([]byte(in))
		if err == nil || got != AWSUnknown || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrAWSPayload) ||
			handler.ClassOf(err) != handler.ClassInvalidInput {
			t.Errorf("DetectAWS(%q) = %v, %v; want an invalid-input ErrAWSPayload containing %q", in, got, err, want)
		}
	}
}

func TestFromSQS(t *testing.T) {
	recs, err := FromSQS(readAWS(t, "sqs.json"))
	if err != nil || len(recs) != 2 {
		t.Fatalf("FromSQS = %d records, %v", len(recs), err)
	}
	e := recs[0].Event
	if e.ID() != "059f36b4-87a3-44ab-83d2-661975830a7d" || e.Source() != "arn:aws:sqs:us-east-2:123456789012:my-queue" ||
		e.Type() != AWSTypeSQSMessage || e.DataContentType() != "application/json" || string(e.Data()) != `{"orderId":"o-1","qty":2}` ||
		!e.Time().Equal(time.UnixMilli(1545082649183)) {
		t.Errorf("record 0 = %v", e)
	}
	if err := e.Validate(); err != nil {
		t.Error(err)
	}
	if recs[0].ItemID != e.ID() || recs[0].Attempt != 1 || recs[1].Attempt != 3 || recs[0].Err != nil {
		t.Errorf("record meta = %+v", recs[0])
	}
	var raw map[string]any
	if err := json.Unmarshal(recs[1].Raw, &raw); err != nil || raw["messageId"] != "2e1424d4-f796-459a-8184-9c92662be6da" {
		t.Errorf("Raw = %s (%v)", recs[1].Raw, err)
	}

	fifo, err := FromSQS(readAWS(t, "sqs_fifo.json"))
	if err != nil || len(fifo) != 5 || fifo[0].Group != "A" || fifo[1].Group != "B" {
		t.Fatalf("FIFO: %v %+v", err, fifo)
	}

	ce, err := FromSQS(readAWS(t, "sqs_cloudevent.json"))
	if err != nil || len(ce) != 1 {
		t.Fatal(err)
	}
	u := ce[0].Event
	if u.ID() != "evt-42" || u.Source() != "/orders" || u.Type() != "com.example.order.created" || string(u.Data()) != `{"orderId":"o-42","qty":1}` ||
		ce[0].ItemID != "c0ffee00-0000-4000-8000-000000000001" || ce[0].Attempt != 2 {
		t.Errorf("structured body not unwrapped: %v %+v", u, ce[0])
	}
}

func TestFromSQSBadRecords(t *testing.T) {
	payload := `{"Records":[
	 {"messageId":"good","body":"hello there","eventSourceARN":"arn:aws:sqs:us-east-1:1:q","attributes":{}},
	 {"messageId":"bad-ce","body":"{\"specversion\":\"1.0\",\"id\":\"\"}","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"},
	 {"messageId":"bad-type","body":42,"eventSourceARN":"arn:aws:sqs:us-east-1:1:q"},
	 {"body":"x","eventSourceARN":"arn:aws:sqs:us-east-1:1:q"}]}`
	recs, err := FromSQS([]byte(payload))
	if err != nil || len(recs) != 4 {
		t.Fatalf("FromSQS = %v, %v", recs, err)
	}
	if recs[0].Err != nil || recs[0].Event.DataContentType() != "text/plain" {
		t.Errorf("good record: %+v", recs[0])
	}
	for i, want := range map[int]string{1: `SQS record 1 (messageId "bad-ce"): body carries an invalid structured CloudEvent`, 2: `SQS record 2 (messageId "bad-type")`, 3: "SQS record 3: no messageId"} {
		r := recs[i]
		if r.Err == nil || !strings.Contains(r.Err.Error(), want) || handler.ClassOf(r.Err) != handler.ClassInvalidInput {
			t.Errorf("record %d: err %v, want %q", i, r.Err, want)
		}
		if r.Event.Type() != AWSTypeUnreadable || r.Event.Validate() != nil {
			t.Errorf("record %d: fallback event %v", i, r.Event)
		}
	}
	if recs[2].ItemID != "bad-type" {
		t.Errorf("ItemID of an undecodable record = %q", recs[2].ItemID)
	}
	for _, p := range []string{`{}`, `{"Records":{}}`, `{"Records":[{"messageId":"x"}`, `[1]`} {
		if _, err := FromSQS([]byte(p)); err == nil || !errors.Is(err, ErrAWSPayload) {
			t.Errorf("FromSQS(%s) err = %v", p, err)
		}
	}
}

func TestFromSNS(t *testing.T) {
	recs, err := FromSNS(readAWS(t, "sns.json"))
	if err != nil || len(recs) != 1 || recs[0].Err != nil {
		t.Fatal(err, recs)
	}
	e := recs[0].Event
	if e.ID() != "95df01b4-ee98-5cb9-9903-4c221d41eb5e" ||
		e.Source() != "arn:aws:sns:us-east-1:123456789012:sns-lambda:21be56ed-a058-49f5-8c98-aedd2564c486" ||
		e.Type() != "com.amazonaws.sns.Notification" || e.Subject() != "TestInvoke" || e.DataContentType() != "application/json" ||
		!e.Time().Equal(time.Date(2019, 1, 2, 12, 45, 7, 0, time.UTC)) {
		t.Errorf("SNS event = %v", e)
	}
	var sns struct{ Message, TopicArn string }
	if err := json.Unmarshal(e.Data(), &sns); err != nil || sns.Message != `{"orderId":"o-7","qty":3}` {
		t.Errorf("data is not the Sns object: %s", e.Data())
	}
	wrapped := strings.Replace(string(readAWS(t, "sns.json")), `"{\"orderId\":\"o-7\",\"qty\":3}"`,
		`"{\"specversion\":\"1.0\",\"id\":\"in-1\",\"source\":\"/x\",\"type\":\"t.x\"}"`, 1)
	recs, err = FromSNS([]byte(wrapped))
	if err != nil || recs[0].Event.ID() != "in-1" || recs[0].Event.Type() != "t.x" {
		t.Errorf("structured Message not unwrapped: %v %v", recs, err)
	}
}

func TestFromS3(t *testing.T) {
	recs, err := FromS3(readAWS(t, "s3.json"))
	if err != nil || len(recs) != 1 || recs[0].Err != nil {
		t.Fatal(err, recs)
	}
	e := recs[0].Event
	if e.ID() != "D82B88E5F771F645.vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=" ||
		e.Source() != "aws:s3.us-east-1.DOC-EXAMPLE-BUCKET" || e.Type() != "com.amazonaws.s3.ObjectCreated:Put" ||
		e.Subject() != "b21b84d653bb07b05b1e6b33684dc11b" || !bytes.Equal(e.Data(), recs[0].Raw) || e.Validate() != nil {
		t.Errorf("S3 event = %v", e)
	}
	r, err := FromEventBridge(readAWS(t, "s3_eventbridge.json"))
	if err != nil || r.Err != nil {
		t.Fatal(err, r.Err)
	}
	e = r.Event
	if e.ID() != "17793124-05d4-b198-2fde-7ededc63b103" || e.Source() != "aws:s3.ca-central-1.DOC-EXAMPLE-BUCKET1" ||
		e.Type() != "com.amazonaws.s3.Object Created" || e.Subject() != "example-key" || !strings.Contains(string(e.Data()), `"reason": "PutObject"`) {
		t.Errorf("S3 via EventBridge = %v", e)
	}
}

func TestFromEventBridge(t *testing.T) {
	r, err := FromEventBridge(readAWS(t, "eventbridge.json"))
	if err != nil || r.Err != nil {
		t.Fatal(err, r.Err)
	}
	e := r.Event
	if e.ID() != "6a7e8feb-b491-4cf7-a9f1-bf3703467718" || e.Source() != "com.example.orders" || e.Type() != "OrderPlaced" ||
		string(e.Data()) != `{"orderId": "o-9", "qty": 4}` || !e.Time().Equal(time.Date(2017, 12, 22, 18, 43, 48, 0, time.UTC)) {
		t.Errorf("EventBridge event = %v", e)
	}
	r, err = FromEventBridge(readAWS(t, "scheduled.json"))
	if err != nil || r.Event.Type() != "Scheduled Event" || r.Event.Source() != "aws.events" ||
		r.Event.Subject() != "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule" || string(r.Event.Data()) != "{}" {
		t.Errorf("scheduled event = %v (%v)", r.Event, err)
	}
	r, err = FromEventBridge([]byte(`{"id":"x","source":"s","detail-type":"d","detail":{"specversion":"1.0","id":"in","source":"/in","type":"t"}}`))
	if err != nil || r.Event.ID() != "in" {
		t.Errorf("structured detail not unwrapped: %v %v", r.Event, err)
	}
	if r, err := FromEventBridge([]byte(`{"id":"x","detail":{}}`)); err != nil || r.Err == nil || !strings.Contains(r.Err.Error(), "source and detail-type are required") {
		t.Errorf("missing source: %v %v", r.Err, err)
	}
	if _, err := FromEventBridge([]byte(`{"id":`)); err == nil {
		t.Error("truncated EventBridge event accepted")
	}
}

func TestFromKinesis(t *testing.T) {
	recs, err := FromKinesis(readAWS(t, "kinesis.json"))
	if err != nil || len(recs) != 2 {
		t.Fatal(err, recs)
	}
	e := recs[1].Event
	if e.ID() != "shardId-000000000006:49590338271490256608559692540925702759324208523137515618" ||
		e.Source() != "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream" || e.Type() != AWSTypeKinesisRecord ||
		e.Subject() != "1" || string(e.Data()) != `{"orderId":"k-2","qty":2}` || e.DataContentType() != "application/json" ||
		recs[1].ItemID != "49590338271490256608559692540925702759324208523137515618" ||
		!e.Time().Equal(time.UnixMilli(1545084711166)) {
		t.Errorf("Kinesis event = %v %+v", e, recs[1])
	}
	bad := strings.Replace(string(readAWS(t, "kinesis.json")), "eyJvcmRlcklkIjoiay0xIiwicXR5IjoxfQ==", "%%%not-base64", 1)
	recs, err = FromKinesis([]byte(bad))
	if err != nil || recs[0].Err == nil || recs[1].Err != nil || !strings.Contains(recs[0].Err.Error(), "kinesis.data is not valid base64") ||
		!strings.Contains(recs[0].Err.Error(), `Kinesis record 0 (sequenceNumber "49590338271490256608559692538361571095921575989136588898")`) ||
		recs[0].ItemID == "" {
		t.Errorf("bad base64: %v / %v", recs[0].Err, err)
	}
}

func TestFromDynamoDB(t *testing.T) {
	recs, err := FromDynamoDB(readAWS(t, "dynamodb.json"))
	if err != nil || len(recs) != 3 {
		t.Fatal(err, recs)
	}
	for i, typ := range []string{"INSERT", "MODIFY", "REMOVE"} {
		e := recs[i].Event
		if e.Type() != AWSTypeDynamoDBPrefix+typ || recs[i].Err != nil || e.Validate() != nil {
			t.Errorf("record %d = %v %v", i, e, recs[i].Err)
		}
	}
	var img struct {
		NewImage, OldImage map[string]map[string]string
		SequenceNumber     string
	}
	if err := json.Unmarshal(recs[1].Event.Data(), &img); err != nil || img.NewImage["Message"]["S"] != "This item has changed" ||
		img.OldImage["Message"]["S"] != "New item!" || recs[1].ItemID != "4421584500000000017450439092" ||
		recs[1].Event.Source() != "arn:aws:dynamodb:us-east-1:123456789012:table/ExampleTableWithStream/stream/2015-06-27T00:48:05.899" ||
		!recs[1].Event.Time().Equal(time.Unix(1428537600, 0)) {
		t.Errorf("MODIFY data = %s (%v)", recs[1].Event.Data(), err)
	}
}

func TestFromKafka(t *testing.T) {
	recs, err := FromKafka(readAWS(t, "kafka_msk.json"))
	if err != nil || len(recs) != 1 || recs[0].Err != nil {
		t.Fatal(err, recs)
	}
	e := recs[0].Event
	if e.ID() != "mytopic-0-15" || e.Source() != "arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2" ||
		e.Type() != AWSTypeKafkaRecord || e.Subject() != "order-1" || string(e.Data()) != `{"orderId":"m-1","qty":1}` ||
		!e.Time().Equal(time.UnixMilli(1545084650987)) {
		t.Errorf("MSK event = %v", e)
	}
	recs, err = FromKafka(readAWS(t, "kafka_selfmanaged.json"))
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	e = recs[0].Event
	if e.Source() != "kafka://b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092/mytopic" || string(e.Data()) != "hello world" ||
		e.DataContentType() != "application/octet-stream" {
		t.Errorf("self-managed event = %v", e)
	}
}

func gzipB64(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func TestFromCloudWatchLogs(t *testing.T) {
	recs, err := FromCloudWatchLogs(readAWS(t, "cloudwatchlogs.json"))
	if err != nil || len(recs) != 2 {
		t.Fatal(err, recs)
	}
	e := recs[1].Event
	if e.ID() != "34622316099697884706540976068822859012661220141643892547" || e.Source() != "/aws/lambda/orders" ||
		e.Type() != AWSTypeLogEvent || e.Subject() != "2019/03/13/[$LATEST]94fa867e5374431291a7fc14e2f56ae7" ||
		e.DataContentType() != "application/json" || string(e.Data()) != `{"level":"error","msg":"boom"}` ||
		recs[0].Event.DataContentType() != "text/plain" || !e.Time().Equal(time.UnixMilli(1552518348221)) {
		t.Errorf("log event = %v", e)
	}
	if recs, err := FromCloudWatchLogs(readAWS(t, "cloudwatchlogs_control.json")); err != nil || len(recs) != 0 {
		t.Errorf("control message = %v, %v", recs, err)
	}
	bad := map[string]string{
		`{"awslogs":{"data":"***"}}`:                                                           "is not valid base64",
		`{"awslogs":{"data":"aGVsbG8="}}`:                                                      "does not inflate",
		`{"awslogs":{"data":"` + gzipB64(t, "not json") + `"}}`:                                "is not the documented JSON",
		`{"awslogs":{"data":"` + gzipB64(t, `{"logGroup":"/g","logEvents":[{}]}`)[:20] + `"}}`: "does not inflate",
	}
	for in, want := range bad {
		if _, err := FromCloudWatchLogs([]byte(in)); err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrAWSPayload) {
			t.Errorf("FromCloudWatchLogs(%s) = %v, want %q", in, err, want)
		}
	}
	recs, err = FromCloudWatchLogs([]byte(`{"awslogs":{"data":"` + gzipB64(t, `{"logGroup":"/g","logEvents":[{"id":"1","message":"a"},{"message":"b"}]}`) + `"}}`))
	if err != nil || len(recs) != 2 || recs[0].Err != nil || recs[1].Err == nil || !strings.Contains(recs[1].Err.Error(), "CloudWatch Logs record 1: log event has no id") {
		t.Errorf("poisoned log event: %v %v", recs, err)
	}
}

func TestAWSUnescapeMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{``, `plain`, `{\"a\":\"b\\\\c\"}`, `tab\there\nnew\/slash\b\f\r`, `\u00e9t\u00e9`, `bad\x`, `end\`} {
		var want string
		werr := json.Unmarshal([]byte(`"`+s+`"`), &want)
		var got awsText
		gerr := got.UnmarshalJSON([]byte(`"` + s + `"`))
		if (werr == nil) != (gerr == nil) || werr == nil && string(got) != want {
			t.Errorf("%q: got %q, %v; encoding/json %q, %v", s, got, gerr, want, werr)
		}
	}
}

func TestFromKafkaBinaryCloudEvent(t *testing.T) {
	hdr := func(s string) string {
		var parts []string
		for _, c := range []byte(s) {
			parts = append(parts, strconv.Itoa(int(c)))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	payload := `{"eventSource":"aws:kafka","eventSourceArn":"arn:aws:kafka:us-east-1:1:cluster/c/x","records":{"t-0":[{"topic":"t","partition":0,"offset":1,"timestamp":1545084650987,
	 "value":"eyJhIjoxfQ==","headers":[{"ce_specversion":` + hdr("1.0") + `},{"ce_id":` + hdr("k-1") + `},{"ce_source":` + hdr("/orders") + `},{"ce_type":` + hdr("order.created") +
		`},{"ce_traceparent":` + hdr("00-abc") + `},{"content-type":` + hdr("application/json") + `}]},
	 {"topic":"t","partition":0,"offset":2,"timestamp":1545084650988,"value":"eyJhIjoxfQ==","headers":[{"ce_specversion":` + hdr("1.0") + `},{"ce_id":` + hdr("k-2") + `}]}]}}`
	recs, err := FromKafka([]byte(payload))
	if err != nil || len(recs) != 2 {
		t.Fatal(err, recs)
	}
	e := recs[0].Event
	if recs[0].Err != nil || e.ID() != "k-1" || e.Source() != "/orders" || e.Type() != "order.created" || e.DataContentType() != "application/json" ||
		string(e.Data()) != `{"a":1}` || e.Extensions()["traceparent"] != "00-abc" {
		t.Errorf("binary CloudEvent = %v (%v)", e, recs[0].Err)
	}
	if recs[1].Err == nil || !strings.Contains(recs[1].Err.Error(), `Kafka record 1 (id "t-0-2"): ce_ headers`) {
		t.Errorf("incomplete ce_ headers: %v", recs[1].Err)
	}
}

func TestFromSQSUnwrapsCloudEventThroughSNS(t *testing.T) {
	ce := `{"specversion":"1.0","id":"via-sns","source":"/orders","type":"order.created","data":{"a":1}}`
	note, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "n-1", "TopicArn": "arn:aws:sns:us-east-1:1:orders", "Message": ce, "Timestamp": "2026-01-01T00:00:00Z"})
	plain, _ := json.Marshal(map[string]string{"Type": "Notification", "MessageId": "n-2", "TopicArn": "arn:aws:sns:us-east-1:1:orders", "Message": `{"a":1}`})
	payload, _ := json.Marshal(map[string]any{"Records": []map[string]any{
		{"messageId": "m-1", "body": string(note), "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q"},
		{"messageId": "m-2", "body": string(plain), "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q"},
	}})
	recs, err := FromSQS(payload)
	if err != nil || len(recs) != 2 {
		t.Fatal(err)
	}
	if e := recs[0].Event; e.ID() != "via-sns" || e.Type() != "order.created" || recs[0].ItemID != "m-1" {
		t.Errorf("CloudEvent through SNS and SQS = %v", e)
	}
	if e := recs[1].Event; e.ID() != "m-2" || e.Type() != AWSTypeSQSMessage || string(e.Data()) != string(plain) {
		t.Errorf("plain SNS notification through SQS = %v", e)
	}
}
