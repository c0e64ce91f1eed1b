package events

import (
	"encoding/json"
	"time"
)

// AWSTypeSNSPrefix prefixes the CloudEvent type of SNS messages: the type
// is the prefix followed by the message's Type, for example
// "com.amazonaws.sns.Notification".
const AWSTypeSNSPrefix = "com.amazonaws.sns."

type awsSnsRecord struct {
	EventSubscriptionArn string          `json:"EventSubscriptionArn"`
	Sns                  json.RawMessage `json:"Sns"`
}

type awsSnsMessage struct {
	Type      string    `json:"Type"`
	MessageID string    `json:"MessageId"`
	TopicArn  string    `json:"TopicArn"`
	Subject   *string   `json:"Subject"`
	Message   string    `json:"Message"`
	Timestamp time.Time `json:"Timestamp"`
}

// FromSNS maps an SNS event (Lambda's SNS trigger) to one record per
// message, following the CloudEvents adapter specification for SNS
// (cloudevents/spec: cloudevents/adapters/aws-sns.md):
//
//	id               Sns.MessageId
//	source           EventSubscriptionArn (Sns.TopicArn if it is missing)
//	type             AWSTypeSNSPrefix + Sns.Type
//	subject          Sns.Subject, if present
//	time             Sns.Timestamp
//	datacontenttype  application/json
//	data             the Sns object (the notification, with Message inside)
//
// A Message that is a structured CloudEvent is that event, unwrapped.
func FromSNS(payload []byte) ([]AWSRecord, error) {
	raw, err := awsTopMember(payload, "Records", "SNS")
	if err != nil {
		return nil, err
	}
	var sc awsSourceCache
	return awsMapRecords(raw, "SNS Records", func(i int, b []byte) AWSRecord {
		var r awsSnsRecord
		var m awsSnsMessage
		err := json.Unmarshal(b, &r)
		if err == nil {
			err = json.Unmarshal(r.Sns, &m)
		}
		if err != nil {
			return AWSRecord{Event: awsFallback("", "", b), Err: awsRecordError("SNS", i, "", "", "%v", err)}
		}
		if m.MessageID == "" {
			return AWSRecord{Event: awsFallback("", r.EventSubscriptionArn, b), Err: awsRecordError("SNS", i, "", "", "no Sns.MessageId")}
		}
		if awsLooksLikeStructuredEvent([]byte(m.Message)) {
			e, err := awsUnwrapStructured([]byte(m.Message))
			if err != nil {
				return AWSRecord{Event: awsFallback(m.MessageID, r.EventSubscriptionArn, b), Err: awsRecordError("SNS", i, "MessageId", m.MessageID, "Message %v", err)}
			}
			return AWSRecord{Event: e}
		}
		s := r.EventSubscriptionArn
		if s == "" {
			s = m.TopicArn
		}
		src, ok := sc.get(s)
		if !ok {
			return AWSRecord{Event: awsFallback(m.MessageID, "", b), Err: awsRecordError("SNS", i, "MessageId", m.MessageID, "no usable EventSubscriptionArn or TopicArn")}
		}
		e := awsNewEvent(m.MessageID, src, AWSTypeSNSPrefix+m.Type, "application/json", m.Timestamp, r.Sns)
		if m.Subject != nil && *m.Subject != "" {
			e.SetSubject(*m.Subject)
		}
		return AWSRecord{Event: e}
	})
}
