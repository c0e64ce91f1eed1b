package events

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// AWSTypeSQSMessage is the CloudEvent type of an SQS message that is not
// itself a CloudEvent.
const AWSTypeSQSMessage = "com.amazonaws.sqs.message"

type awsSqsRecord struct {
	MessageID  string  `json:"messageId"`
	Body       awsText `json:"body"`
	Attributes struct {
		ApproximateReceiveCount string `json:"ApproximateReceiveCount"`
		SentTimestamp           string `json:"SentTimestamp"`
		MessageGroupID          string `json:"MessageGroupId"`
	} `json:"attributes"`
	MessageAttributes map[string]awsSqsAttribute `json:"messageAttributes"`
	EventSourceARN    string                     `json:"eventSourceARN"`
}

type awsSqsAttribute struct {
	StringValue *string `json:"stringValue"`
	DataType    string  `json:"dataType"`
}

// FromSQS maps an SQS event (Lambda's SQS trigger) to one record per
// message:
//
//	id               messageId
//	source           eventSourceARN (the queue ARN)
//	type             AWSTypeSQSMessage
//	time             attributes.SentTimestamp
//	datacontenttype  the message attribute "content-type" (any case) if set,
//	                 else application/json for a JSON body, else text/plain
//	data             body
//	ItemID           messageId; Group: attributes.MessageGroupId (FIFO)
//	Attempt          attributes.ApproximateReceiveCount
//
// A body that is a structured CloudEvent (a JSON object with specversion)
// is that event, unwrapped; so is a structured CloudEvent sent through an
// SNS topic to the queue without raw message delivery (the body is then
// the SNS notification, and the event its Message). The error is for a payload that is not an SQS
// event; a record that cannot be read has its own Err.
func FromSQS(payload []byte) ([]AWSRecord, error) {
	raw, err := awsTopMember(payload, "Records", "SQS")
	if err != nil {
		return nil, err
	}
	elems, err := awsSplitArray(raw)
	if err != nil {
		return nil, awsPayloadError("SQS Records: %v", err)
	}
	var sc awsSourceCache
	out := make([]AWSRecord, len(elems))
	// One decode of the whole batch when every record is well-formed;
	// record by record otherwise, so that one bad record fails alone.
	var all struct {
		Records []awsSqsRecord `json:"Records"`
	}
	if json.Unmarshal(payload, &all) == nil && len(all.Records) == len(elems) {
		for i, b := range elems {
			out[i] = sqsMap(i, b, &all.Records[i], &sc)
			out[i].Raw = b
		}
		return out, nil
	}
	for i, b := range elems {
		var r awsSqsRecord
		if err := json.Unmarshal(b, &r); err != nil {
			id, _ := awsRawString(awsMember(b, "messageId"))
			out[i] = AWSRecord{ItemID: id, Event: awsFallback(id, "", b), Err: awsRecordError("SQS", i, "messageId", id, "%v", err)}
		} else {
			out[i] = sqsMap(i, b, &r, &sc)
		}
		out[i].Raw = b
	}
	return out, nil
}

func sqsMap(i int, b []byte, r *awsSqsRecord, sc *awsSourceCache) AWSRecord {
	rec := AWSRecord{ItemID: r.MessageID, Group: r.Attributes.MessageGroupID}
	rec.Attempt, _ = strconv.Atoi(r.Attributes.ApproximateReceiveCount)
	if r.MessageID == "" {
		rec.Event, rec.Err = awsFallback("", r.EventSourceARN, b), awsRecordError("SQS", i, "", "", "no messageId")
		return rec
	}
	data := []byte(r.Body)
	if msg, ok := snsEnvelopeMessage(data); ok && awsLooksLikeStructuredEvent(msg) {
		data = msg // SNS to SQS without raw delivery: the CloudEvent is the SNS Message
	}
	if awsLooksLikeStructuredEvent(data) {
		e, err := awsUnwrapStructured(data)
		if err != nil {
			rec.Event, rec.Err = awsFallback(r.MessageID, r.EventSourceARN, b), awsRecordError("SQS", i, "messageId", r.MessageID, "body %v", err)
			return rec
		}
		rec.Event = e
		return rec
	}
	src, ok := sc.get(r.EventSourceARN)
	if !ok {
		rec.Event, rec.Err = awsFallback(r.MessageID, "", b), awsRecordError("SQS", i, "messageId", r.MessageID, "eventSourceARN %q is not a URI-reference", r.EventSourceARN)
		return rec
	}
	ct := ""
	for k, a := range r.MessageAttributes {
		if len(k) == len("content-type") && awsEqualFold(k, "content-type") && a.StringValue != nil {
			ct = *a.StringValue
		}
	}
	if ct == "" {
		ct = awsSniffContentType(data, "text/plain", "text/plain")
	}
	rec.Event = awsNewEvent(r.MessageID, src, AWSTypeSQSMessage, ct, awsEpochMillis(r.Attributes.SentTimestamp), data)
	return rec
}

func awsEqualFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// snsEnvelopeMessage returns the Message of an SNS notification that an
// SQS subscription without raw message delivery wraps around it.
func snsEnvelopeMessage(body []byte) ([]byte, bool) {
	i := awsSkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' || !bytes.Contains(body, []byte(`"TopicArn"`)) {
		return nil, false
	}
	var n struct {
		Type     string `json:"Type"`
		TopicArn string `json:"TopicArn"`
		Message  string `json:"Message"`
	}
	if json.Unmarshal(body, &n) != nil || n.Type != "Notification" || n.TopicArn == "" {
		return nil, false
	}
	return []byte(n.Message), true
}
