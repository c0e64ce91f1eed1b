package events

import (
	"encoding/json"
	"time"
)

type awsEventBridgeEvent struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// FromEventBridge maps an EventBridge event (a rule's target, scheduled
// events included) to one record:
//
//	id               id
//	source           source (for example "aws.events", "com.example.orders")
//	type             detail-type (for example "Scheduled Event")
//	subject          resources[0], if any (a schedule rule's ARN)
//	time             time
//	datacontenttype  application/json
//	data             detail
//
// A detail that is a structured CloudEvent is that event, unwrapped. An S3
// notification delivered by EventBridge (source "aws.s3") follows the S3
// mapping instead: source "aws:s3." + region + "." + detail.bucket.name,
// type AWSTypeS3Prefix + detail-type, subject detail.object.key, data
// detail.
func FromEventBridge(payload []byte) (AWSRecord, error) {
	var r awsEventBridgeEvent
	if err := json.Unmarshal(payload, &r); err != nil {
		return AWSRecord{}, awsPayloadError("EventBridge event: %v", err)
	}
	rec := AWSRecord{Raw: payload}
	if r.ID == "" || r.Source == "" || r.DetailType == "" {
		rec.Event, rec.Err = awsFallback(r.ID, "", payload), awsRecordError("EventBridge", 0, "id", r.ID, "id, source and detail-type are required")
		return rec, nil
	}
	if awsLooksLikeStructuredEvent(r.Detail) {
		e, err := awsUnwrapStructured(r.Detail)
		if err != nil {
			rec.Event, rec.Err = awsFallback(r.ID, "", payload), awsRecordError("EventBridge", 0, "id", r.ID, "detail %v", err)
			return rec, nil
		}
		rec.Event = e
		return rec, nil
	}
	var sc awsSourceCache
	source, typ, subject := r.Source, r.DetailType, ""
	if len(r.Resources) > 0 {
		subject = r.Resources[0]
	}
	if r.Source == "aws.s3" {
		var d struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		}
		_ = json.Unmarshal(r.Detail, &d)
		source, typ, subject = "aws:s3."+r.Region+"."+d.Bucket.Name, AWSTypeS3Prefix+r.DetailType, d.Object.Key
	}
	src, ok := sc.get(source)
	if !ok {
		rec.Event, rec.Err = awsFallback(r.ID, "", payload), awsRecordError("EventBridge", 0, "id", r.ID, "source %q is not a URI-reference", source)
		return rec, nil
	}
	data := []byte(r.Detail)
	if len(data) == 0 {
		data = nil
	}
	rec.Event = awsNewEvent(r.ID, src, typ, "application/json", r.Time, data)
	if subject != "" {
		rec.Event.SetSubject(subject)
	}
	return rec, nil
}
