package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/fnkit/fnkit/handler"
)

// AWSTrigger names the shape of a payload that AWS Lambda delivers.
type AWSTrigger int

// The payload shapes DetectAWS recognises.
const (
	// AWSUnknown is no recognised shape.
	AWSUnknown AWSTrigger = iota
	AWSSQS
	AWSSNS
	AWSS3
	// AWSS3EventBridge is an S3 notification delivered by EventBridge
	// (source "aws.s3").
	AWSS3EventBridge
	AWSEventBridge
	AWSKinesis
	AWSDynamoDB
	AWSKafka
	AWSCloudWatchLogs
	// AWSAPIGatewayV1 is an API Gateway REST API (or HTTP API payload
	// format 1.0) proxy request.
	AWSAPIGatewayV1
	// AWSAPIGatewayV2 is an API Gateway HTTP API payload format 2.0
	// request.
	AWSAPIGatewayV2
	AWSALB
	// AWSFunctionURL is a Lambda function URL request (shaped like
	// AWSAPIGatewayV2).
	AWSFunctionURL
	// AWSCloudEvent is a direct invocation whose payload is a
	// structured-mode CloudEvent.
	AWSCloudEvent
	// AWSDirect is a direct invocation with any other JSON payload.
	AWSDirect
)

var awsTriggerNames = [...]string{"unknown", "sqs", "sns", "s3", "s3-eventbridge", "eventbridge", "kinesis", "dynamodb",
	"kafka", "cloudwatch-logs", "apigateway-v1", "apigateway-v2", "alb", "function-url", "cloudevent", "direct"}

// String returns the trigger's name, for example "sqs" or "apigateway-v2".
func (t AWSTrigger) String() string {
	if t >= 0 && int(t) < len(awsTriggerNames) {
		return awsTriggerNames[t]
	}
	return "trigger(" + strconv.Itoa(int(t)) + ")"
}

// IsHTTP reports whether t is an HTTP trigger (API Gateway, ALB, function
// URL).
func (t AWSTrigger) IsHTTP() bool {
	return t == AWSAPIGatewayV1 || t == AWSAPIGatewayV2 || t == AWSALB || t == AWSFunctionURL
}

// ErrAWSPayload is matched by every error about a payload that is not a
// well-formed AWS event of the expected shape.
var ErrAWSPayload = errors.New("events: bad AWS payload")

// awsPayloadError is an invalid-input error matching ErrAWSPayload.
func awsPayloadError(format string, args ...any) error {
	return handler.InvalidInput(fmt.Errorf("%w: "+format, append([]any{ErrAWSPayload}, args...)...))
}

// DetectAWS tells the trigger of a Lambda payload from its shape:
//
//	Records[0].eventSource "aws:sqs"          AWSSQS
//	Records[0].EventSource "aws:sns"          AWSSNS
//	Records[0].eventSource "aws:s3"           AWSS3
//	Records[0].eventSource "aws:kinesis"      AWSKinesis
//	Records[0].eventSource "aws:dynamodb"     AWSDynamoDB
//	eventSource "aws:kafka"/"SelfManagedKafka" AWSKafka
//	awslogs.data                              AWSCloudWatchLogs
//	detail-type, source "aws.s3", detail      AWSS3EventBridge
//	detail-type, source, detail               AWSEventBridge
//	version "2.0", routeKey, rawPath          AWSAPIGatewayV2 (AWSFunctionURL when
//	                                          requestContext.domainName is a lambda-url domain)
//	httpMethod, requestContext.elb            AWSALB
//	httpMethod, requestContext                AWSAPIGatewayV1
//	specversion                               AWSCloudEvent
//	any other JSON value                      AWSDirect
//
// It returns AWSUnknown and an error matching ErrAWSPayload for text that
// is not JSON (naming the offset) and for a Records array whose event
// source it does not know (naming it). It reads the payload without
// decoding it.
func DetectAWS(payload []byte) (AWSTrigger, error) {
	i := awsSkipSpace(payload, 0)
	if i >= len(payload) {
		return AWSUnknown, awsPayloadError("empty payload")
	}
	if payload[i] != '{' {
		end, err := awsSkipValue(payload, i)
		if err != nil {
			return AWSUnknown, awsPayloadError("payload is not JSON: %v", err)
		}
		if awsSkipSpace(payload, end) != len(payload) {
			return AWSUnknown, awsPayloadError("payload is not JSON: data after the value at offset %d", end)
		}
		return AWSDirect, nil
	}
	if first, ok := awsRecordsFirst(payload, i); ok {
		return awsRecordsTrigger(first)
	}
	var (
		records, eventSource, awslogs, detailType, source, detail []byte
		version, routeKey, rawPath, httpMethod, requestContext    []byte
		specversion                                               []byte
	)
	end, err := awsEachMemberEnd(payload, func(k, v []byte) bool {
		switch string(k) {
		case "Records":
			records = v
		case "eventSource":
			eventSource = v
		case "awslogs":
			awslogs = v
		case "detail-type":
			detailType = v
		case "source":
			source = v
		case "detail":
			detail = v
		case "version":
			version = v
		case "routeKey":
			routeKey = v
		case "rawPath":
			rawPath = v
		case "httpMethod":
			httpMethod = v
		case "requestContext":
			requestContext = v
		case "specversion":
			specversion = v
		}
		return true
	})
	if err != nil {
		return AWSUnknown, awsPayloadError("payload is not JSON: %v", err)
	}
	if awsSkipSpace(payload, end) != len(payload) {
		return AWSUnknown, awsPayloadError("payload is not JSON: data after the object at offset %d", end)
	}
	switch {
	case records != nil:
		first, err := awsFirstElement(records)
		if err != nil {
			return AWSUnknown, awsPayloadError("Records: %v", err)
		}
		return awsRecordsTrigger(first)
	case eventSource != nil && (bytes.Equal(eventSource, []byte(`"aws:kafka"`)) || bytes.Equal(eventSource, []byte(`"SelfManagedKafka"`))):
		return AWSKafka, nil
	case awslogs != nil && awsMember(awslogs, "data") != nil:
		return AWSCloudWatchLogs, nil
	case detailType != nil && source != nil && detail != nil:
		if bytes.Equal(source, []byte(`"aws.s3"`)) {
			return AWSS3EventBridge, nil
		}
		return AWSEventBridge, nil
	case routeKey != nil && rawPath != nil && bytes.Equal(version, []byte(`"2.0"`)):
		if requestContext != nil {
			if d, ok := awsRawString(awsMember(requestContext, "domainName")); ok && bytes.Contains([]byte(d), []byte(".lambda-url.")) {
				return AWSFunctionURL, nil
			}
		}
		return AWSAPIGatewayV2, nil
	case httpMethod != nil && requestContext != nil:
		if awsMember(requestContext, "elb") != nil {
			return AWSALB, nil
		}
		return AWSAPIGatewayV1, nil
	case specversion != nil:
		return AWSCloudEvent, nil
	}
	return AWSDirect, nil
}

// awsRecordsFirst is the fast path of payloads that begin with
// {"Records":[: it returns the first record without scanning the others.
func awsRecordsFirst(b []byte, i int) ([]byte, bool) {
	if b[i] != '{' {
		return nil, false
	}
	i = awsSkipSpace(b, i+1)
	if !bytes.HasPrefix(b[i:], []byte(`"Records"`)) {
		return nil, false
	}
	i = awsSkipSpace(b, i+len(`"Records"`))
	if i >= len(b) || b[i] != ':' {
		return nil, false
	}
	i = awsSkipSpace(b, i+1)
	first, err := awsFirstElement(b[i:])
	if err != nil || first == nil {
		return nil, false
	}
	return first, true
}

// awsRecordsTrigger tells the trigger from the first element of Records.
func awsRecordsTrigger(first []byte) (AWSTrigger, error) {
	if first == nil {
		return AWSUnknown, awsPayloadError("Records is empty or not an array of objects")
	}
	src := awsMember(first, "eventSource")
	if src == nil {
		src = awsMember(first, "EventSource")
	}
	s, _ := awsRawString(src)
	switch s {
	case "aws:sqs":
		return AWSSQS, nil
	case "aws:sns":
		return AWSSNS, nil
	case "aws:s3":
		return AWSS3, nil
	case "aws:kinesis":
		return AWSKinesis, nil
	case "aws:dynamodb":
		return AWSDynamoDB, nil
	}
	if src == nil {
		return AWSUnknown, awsPayloadError("Records[0] has no eventSource: not a known AWS trigger")
	}
	return AWSUnknown, awsPayloadError("Records[0].eventSource %s is not a known AWS trigger (want aws:sqs, aws:sns, aws:s3, aws:kinesis or aws:dynamodb)", src)
}

// awsFirstElement returns the first element of the array b if it is an
// object, nil if the array is empty or its first element is not.
func awsFirstElement(b []byte) ([]byte, error) {
	i := awsSkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, errors.New("not an array")
	}
	i = awsSkipSpace(b, i+1)
	if i >= len(b) {
		return nil, errAWSTruncated
	}
	if b[i] != '{' {
		return nil, nil
	}
	end, err := awsSkipValue(b, i)
	if err != nil {
		return nil, err
	}
	return b[i:end], nil
}

// AWSRecord is one record of an AWS payload mapped to a CloudEvent.
//
// When the record could not be mapped (bad base64, a missing id), Err says
// why, naming the record, and is invalid input; Event is then a fallback
// event whose data is the raw record (type AWSTypeUnreadable), so that the
// record can still be dead-lettered rather than lost.
//
// Raw and, for some triggers, the event's data are slices of the payload
// given to the From function: do not change or reuse the payload while
// they are in use (adapters/awslambda copies it first).
type AWSRecord struct {
	// Event is the CloudEvent the record maps to.
	Event event.Event
	// Raw is the original record, verbatim (a slice of the payload, or
	// the decoded log event for CloudWatch Logs).
	Raw json.RawMessage
	// ItemID identifies the record in a Lambda batch response
	// (batchItemFailures): the SQS messageId, the Kinesis or DynamoDB
	// sequence number; empty for triggers without partial batch
	// responses.
	ItemID string
	// Group is the SQS FIFO MessageGroupId; empty for other records.
	Group string
	// Attempt counts deliveries where the platform tells (SQS
	// ApproximateReceiveCount), zero otherwise.
	Attempt int
	// Err is non-nil when the record could not be mapped.
	Err error
}

// AWSTypeUnreadable is the type of the fallback event of a record that
// could not be mapped (see AWSRecord).
const AWSTypeUnreadable = "dev.fnkit.aws.unreadable"

// awsSourceCache parses a source URI-reference once for records that share
// it (every record of a batch has the same event source ARN).
type awsSourceCache struct {
	last   string
	parsed types.URIRef
	ok     bool
}

func (c *awsSourceCache) get(s string) (types.URIRef, bool) {
	if s == c.last && c.parsed.String() != "" {
		return c.parsed, c.ok
	}
	u, err := url.Parse(s)
	c.last = s
	if err != nil || s == "" {
		c.parsed, c.ok = types.URIRef{}, false
		return c.parsed, false
	}
	c.parsed, c.ok = types.URIRef{URL: *u}, true
	return c.parsed, true
}

// awsNewEvent makes an event with the given attributes in one allocation.
func awsNewEvent(id string, source types.URIRef, typ, ct string, t time.Time, data []byte) event.Event {
	r := &awsEventBox{ct: ct}
	r.ec.ID = id
	r.ec.Source = source
	r.ec.Type = typ
	if ct != "" {
		r.ec.DataContentType = &r.ct
	}
	if !t.IsZero() {
		r.ts = types.Timestamp{Time: t}
		r.ec.Time = &r.ts
	}
	return event.Event{Context: &r.ec, DataEncoded: data}
}

type awsEventBox struct {
	ec event.EventContextV1
	ct string
	ts types.Timestamp
}

// awsSniffContentType returns application/json for data that is JSON and
// otherwise text for UTF-8 text, or binary.
func awsSniffContentType(data []byte, text, binary string) string {
	i := awsSkipSpace(data, 0)
	if i < len(data) && (data[i] == '{' || data[i] == '[' || data[i] == '"') {
		return "application/json"
	}
	if len(data) > 0 && json.Valid(data) {
		return "application/json"
	}
	if text != "" && utf8.Valid(data) {
		return text
	}
	return binary
}

// awsFallback returns the fallback event of an unreadable record.
func awsFallback(id, source string, raw []byte) event.Event {
	if id == "" {
		id = "unreadable"
	}
	src := types.URIRef{}
	if u, err := url.Parse(source); err == nil && source != "" {
		src = types.URIRef{URL: *u}
	} else {
		src = types.URIRef{URL: url.URL{Path: "/aws"}}
	}
	return awsNewEvent(id, src, AWSTypeUnreadable, "application/json", time.Time{}, raw)
}

// awsUnwrapStructured decodes data as a structured-mode CloudEvent.
func awsUnwrapStructured(data []byte) (event.Event, error) {
	var e event.Event
	if err := json.Unmarshal(data, &e); err != nil {
		return event.Event{}, fmt.Errorf("carries a structured CloudEvent that does not decode: %w", err)
	}
	if err := e.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("carries an invalid structured CloudEvent: %w", err)
	}
	return e, nil
}

// awsEpochMillis parses a decimal string of milliseconds since the epoch.
func awsEpochMillis(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// awsEpochSeconds converts fractional seconds since the epoch.
func awsEpochSeconds(f float64) time.Time {
	if f <= 0 {
		return time.Time{}
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC().Round(time.Millisecond)
}

// awsText is a JSON string decoded into bytes with one allocation.
type awsText []byte

func (t *awsText) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = nil
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		if out, ok := awsUnescape(b[1 : len(b)-1]); ok {
			*t = out
			return nil
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*t = awsText(s)
	return nil
}

// awsMapRecords splits the array raw and maps each element with fn.
func awsMapRecords(raw []byte, what string, fn func(i int, rec []byte) AWSRecord) ([]AWSRecord, error) {
	elems, err := awsSplitArray(raw)
	if err != nil {
		return nil, awsPayloadError("%s: %v", what, err)
	}
	out := make([]AWSRecord, len(elems))
	for i, rec := range elems {
		out[i] = fn(i, rec)
		out[i].Raw = rec
	}
	return out, nil
}

// awsTopMember returns the member key of the payload object, with an error
// naming the trigger when the payload is not an object holding it.
func awsTopMember(payload []byte, key, trigger string) ([]byte, error) {
	var out []byte
	err := awsEachMember(payload, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	if err != nil {
		return nil, awsPayloadError("%s payload: %v", trigger, err)
	}
	if out == nil {
		return nil, awsPayloadError("%s payload has no %q awsMember", trigger, key)
	}
	return out, nil
}

// awsRecordError is the invalid-input error of record i of a trigger.
func awsRecordError(trigger string, i int, idName, id string, format string, args ...any) error {
	where := fmt.Sprintf("%s record %d", trigger, i)
	if id != "" {
		where += fmt.Sprintf(" (%s %q)", idName, id)
	}
	return handler.InvalidInput(fmt.Errorf("%w: %s: "+format, append([]any{ErrAWSPayload, where}, args...)...))
}

// awsUnescape decodes the contents of a JSON string without \u escapes
// in one allocation; ok is false if it has \u escapes or bad ones.
func awsUnescape(in []byte) ([]byte, bool) {
	out := make([]byte, 0, len(in))
	for {
		k := bytes.IndexByte(in, '\\')
		if k < 0 {
			return append(out, in...), true
		}
		out = append(out, in[:k]...)
		if k+1 >= len(in) {
			return nil, false
		}
		switch in[k+1] {
		case '"', '\\', '/':
			out = append(out, in[k+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		default:
			return nil, false
		}
		in = in[k+2:]
	}
}
