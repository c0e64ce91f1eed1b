package events

import (
	"encoding/json"
	"time"
)

// AWSTypeS3Prefix prefixes the CloudEvent type of S3 notifications: the
// type is the prefix followed by the event name, for example
// "com.amazonaws.s3.ObjectCreated:Put" (or, delivered by EventBridge, the
// detail-type: "com.amazonaws.s3.Object Created").
const AWSTypeS3Prefix = "com.amazonaws.s3."

type awsS3Record struct {
	EventSource      string    `json:"eventSource"`
	AWSRegion        string    `json:"awsRegion"`
	EventTime        time.Time `json:"eventTime"`
	EventName        string    `json:"eventName"`
	ResponseElements struct {
		RequestID string `json:"x-amz-request-id"`
		ID2       string `json:"x-amz-id-2"`
	} `json:"responseElements"`
	S3 struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key string `json:"key"`
		} `json:"object"`
	} `json:"s3"`
}

// FromS3 maps an S3 event notification (Lambda's S3 trigger) to one
// record per notification, following the CloudEvents adapter
// specification for S3 (cloudevents/spec: cloudevents/adapters/aws-s3.md):
//
//	id               responseElements.x-amz-request-id + "." + responseElements.x-amz-id-2
//	source           eventSource + "." + awsRegion + "." + s3.bucket.name
//	                 (for example "aws:s3.us-east-1.my-bucket")
//	type             AWSTypeS3Prefix + eventName
//	subject          s3.object.key (URL-encoded, as S3 sends it)
//	time             eventTime
//	datacontenttype  application/json
//	data             the record
func FromS3(payload []byte) ([]AWSRecord, error) {
	raw, err := awsTopMember(payload, "Records", "S3")
	if err != nil {
		return nil, err
	}
	var sc awsSourceCache
	return awsMapRecords(raw, "S3 Records", func(i int, b []byte) AWSRecord {
		var r awsS3Record
		if err := json.Unmarshal(b, &r); err != nil {
			return AWSRecord{Event: awsFallback("", "", b), Err: awsRecordError("S3", i, "", "", "%v", err)}
		}
		if r.ResponseElements.RequestID == "" {
			return AWSRecord{Event: awsFallback("", "", b), Err: awsRecordError("S3", i, "", "", "no responseElements.x-amz-request-id")}
		}
		id := r.ResponseElements.RequestID + "." + r.ResponseElements.ID2
		src, ok := sc.get(r.EventSource + "." + r.AWSRegion + "." + r.S3.Bucket.Name)
		if !ok || r.EventName == "" {
			return AWSRecord{Event: awsFallback(id, "", b), Err: awsRecordError("S3", i, "id", id, "no usable eventSource, awsRegion, bucket name or eventName")}
		}
		e := awsNewEvent(id, src, AWSTypeS3Prefix+r.EventName, "application/json", r.EventTime, b)
		if r.S3.Object.Key != "" {
			e.SetSubject(r.S3.Object.Key)
		}
		return AWSRecord{Event: e}
	})
}
