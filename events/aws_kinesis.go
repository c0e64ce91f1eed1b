package events

import (
	"encoding/base64"
	"encoding/json"
)

// AWSTypeKinesisRecord is the CloudEvent type of a Kinesis record that is
// not itself a CloudEvent.
const AWSTypeKinesisRecord = "com.amazonaws.kinesis.record"

type awsKinesisRecord struct {
	EventID        string `json:"eventID"`
	EventSourceARN string `json:"eventSourceARN"`
	Kinesis        struct {
		PartitionKey                string  `json:"partitionKey"`
		SequenceNumber              string  `json:"sequenceNumber"`
		Data                        string  `json:"data"`
		ApproximateArrivalTimestamp float64 `json:"approximateArrivalTimestamp"`
	} `json:"kinesis"`
}

// FromKinesis maps a Kinesis Data Streams event to one record per stream
// record:
//
//	id               eventID (shard id and sequence number)
//	source           eventSourceARN (the stream ARN)
//	type             AWSTypeKinesisRecord
//	subject          kinesis.partitionKey
//	time             kinesis.approximateArrivalTimestamp
//	datacontenttype  application/json for JSON data, else application/octet-stream
//	data             kinesis.data, base64-decoded
//	ItemID           kinesis.sequenceNumber
//
// Data that is a structured CloudEvent is that event, unwrapped. Data that
// is not valid base64 makes the record's Err.
func FromKinesis(payload []byte) ([]AWSRecord, error) {
	raw, err := awsTopMember(payload, "Records", "Kinesis")
	if err != nil {
		return nil, err
	}
	var sc awsSourceCache
	return awsMapRecords(raw, "Kinesis Records", func(i int, b []byte) AWSRecord {
		var r awsKinesisRecord
		if err := json.Unmarshal(b, &r); err != nil {
			seq, _ := awsRawString(awsMember(awsMember(b, "kinesis"), "sequenceNumber"))
			return AWSRecord{ItemID: seq, Event: awsFallback(seq, "", b), Err: awsRecordError("Kinesis", i, "sequenceNumber", seq, "%v", err)}
		}
		seq := r.Kinesis.SequenceNumber
		rec := AWSRecord{ItemID: seq}
		if seq == "" || r.EventID == "" {
			rec.Event, rec.Err = awsFallback(r.EventID, r.EventSourceARN, b), awsRecordError("Kinesis", i, "eventID", r.EventID, "eventID and kinesis.sequenceNumber are required")
			return rec
		}
		data, err := base64.StdEncoding.DecodeString(r.Kinesis.Data)
		if err != nil {
			rec.Event, rec.Err = awsFallback(r.EventID, r.EventSourceARN, b), awsRecordError("Kinesis", i, "sequenceNumber", seq, "kinesis.data is not valid base64: %v", err)
			return rec
		}
		if awsLooksLikeStructuredEvent(data) {
			e, err := awsUnwrapStructured(data)
			if err != nil {
				rec.Event, rec.Err = awsFallback(r.EventID, r.EventSourceARN, b), awsRecordError("Kinesis", i, "sequenceNumber", seq, "data %v", err)
				return rec
			}
			rec.Event = e
			return rec
		}
		src, ok := sc.get(r.EventSourceARN)
		if !ok {
			rec.Event, rec.Err = awsFallback(r.EventID, "", b), awsRecordError("Kinesis", i, "sequenceNumber", seq, "eventSourceARN %q is not a URI-reference", r.EventSourceARN)
			return rec
		}
		rec.Event = awsNewEvent(r.EventID, src, AWSTypeKinesisRecord, awsSniffContentType(data, "", "application/octet-stream"),
			awsEpochSeconds(r.Kinesis.ApproximateArrivalTimestamp), data)
		if r.Kinesis.PartitionKey != "" {
			rec.Event.SetSubject(r.Kinesis.PartitionKey)
		}
		return rec
	})
}
