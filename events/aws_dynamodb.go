package events

import (
	"encoding/json"
)

// AWSTypeDynamoDBPrefix prefixes the CloudEvent type of DynamoDB stream
// records: the type is the prefix followed by the event name, for example
// "com.amazonaws.dynamodb.INSERT", "…MODIFY" or "…REMOVE".
const AWSTypeDynamoDBPrefix = "com.amazonaws.dynamodb."

type awsDynamoRecord struct {
	EventID        string          `json:"eventID"`
	EventName      string          `json:"eventName"`
	EventSourceARN string          `json:"eventSourceARN"`
	DynamoDB       json.RawMessage `json:"dynamodb"`
}

type awsDynamoStreamRecord struct {
	ApproximateCreationDateTime float64 `json:"ApproximateCreationDateTime"`
	SequenceNumber              string  `json:"SequenceNumber"`
}

// FromDynamoDB maps a DynamoDB Streams event to one record per stream
// record:
//
//	id               eventID
//	source           eventSourceARN (the stream ARN)
//	type             AWSTypeDynamoDBPrefix + eventName (INSERT, MODIFY, REMOVE)
//	time             dynamodb.ApproximateCreationDateTime
//	datacontenttype  application/json
//	data             the dynamodb object: Keys, NewImage and OldImage (as the
//	                 stream view type provides them) in DynamoDB's attribute-value
//	                 JSON, SequenceNumber, SizeBytes, StreamViewType
//	ItemID           dynamodb.SequenceNumber
func FromDynamoDB(payload []byte) ([]AWSRecord, error) {
	raw, err := awsTopMember(payload, "Records", "DynamoDB")
	if err != nil {
		return nil, err
	}
	var sc awsSourceCache
	return awsMapRecords(raw, "DynamoDB Records", func(i int, b []byte) AWSRecord {
		var r awsDynamoRecord
		var s awsDynamoStreamRecord
		err := json.Unmarshal(b, &r)
		if err == nil && len(r.DynamoDB) > 0 {
			err = json.Unmarshal(r.DynamoDB, &s)
		}
		if err != nil {
			seq, _ := awsRawString(awsMember(awsMember(b, "dynamodb"), "SequenceNumber"))
			return AWSRecord{ItemID: seq, Event: awsFallback(seq, "", b), Err: awsRecordError("DynamoDB", i, "SequenceNumber", seq, "%v", err)}
		}
		rec := AWSRecord{ItemID: s.SequenceNumber}
		if s.SequenceNumber == "" || r.EventID == "" || r.EventName == "" {
			rec.Event, rec.Err = awsFallback(r.EventID, r.EventSourceARN, b), awsRecordError("DynamoDB", i, "eventID", r.EventID, "eventID, eventName and dynamodb.SequenceNumber are required")
			return rec
		}
		src, ok := sc.get(r.EventSourceARN)
		if !ok {
			rec.Event, rec.Err = awsFallback(r.EventID, "", b), awsRecordError("DynamoDB", i, "SequenceNumber", s.SequenceNumber, "eventSourceARN %q is not a URI-reference", r.EventSourceARN)
			return rec
		}
		rec.Event = awsNewEvent(r.EventID, src, AWSTypeDynamoDBPrefix+r.EventName, "application/json", awsEpochSeconds(s.ApproximateCreationDateTime), r.DynamoDB)
		return rec
	})
}
