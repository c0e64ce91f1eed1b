package events

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"
)

// AWSTypeLogEvent is the CloudEvent type of one CloudWatch Logs log
// event.
const AWSTypeLogEvent = "com.amazonaws.logs.event"

// MaxCloudWatchLogsBytes bounds the inflated size of a CloudWatch Logs
// payload (a guard against gzip bombs): 64 MiB.
const MaxCloudWatchLogsBytes = 64 << 20

type awsLogsData struct {
	MessageType string          `json:"messageType"`
	Owner       string          `json:"owner"`
	LogGroup    string          `json:"logGroup"`
	LogStream   string          `json:"logStream"`
	LogEvents   json.RawMessage `json:"logEvents"`
}

type awsLogEvent struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// FromCloudWatchLogs maps a CloudWatch Logs subscription event
// ({"awslogs":{"data": base64 of gzip of JSON}}) to one record per log
// event; a CONTROL_MESSAGE (sent when the subscription is made) has none:
//
//	id               logEvents[i].id
//	source           logGroup (for example "/aws/lambda/orders")
//	type             AWSTypeLogEvent
//	subject          logStream
//	time             logEvents[i].timestamp (milliseconds)
//	datacontenttype  application/json for a JSON message, else text/plain
//	data             logEvents[i].message
//
// Raw holds the log event's JSON. Data that is not base64, not gzip or not
// the documented JSON is an error naming which.
func FromCloudWatchLogs(payload []byte) ([]AWSRecord, error) {
	aws, err := awsTopMember(payload, "awslogs", "CloudWatch Logs")
	if err != nil {
		return nil, err
	}
	var wrap struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(aws, &wrap); err != nil {
		return nil, awsPayloadError("CloudWatch Logs awslogs: %v", err)
	}
	zipped, err := base64.StdEncoding.DecodeString(wrap.Data)
	if err != nil {
		return nil, awsPayloadError("CloudWatch Logs awslogs.data is not valid base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return nil, awsPayloadError("CloudWatch Logs awslogs.data does not inflate (gzip): %v", err)
	}
	plain, err := io.ReadAll(io.LimitReader(zr, MaxCloudWatchLogsBytes+1))
	if err != nil {
		return nil, awsPayloadError("CloudWatch Logs awslogs.data does not inflate (gzip): %v", err)
	}
	if len(plain) > MaxCloudWatchLogsBytes {
		return nil, awsPayloadError("CloudWatch Logs awslogs.data inflates to more than %d bytes", MaxCloudWatchLogsBytes)
	}
	var d awsLogsData
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, awsPayloadError("CloudWatch Logs data (inflated) is not the documented JSON: %v", err)
	}
	if d.MessageType == "CONTROL_MESSAGE" || len(d.LogEvents) == 0 {
		return nil, nil
	}
	var sc awsSourceCache
	return awsMapRecords(d.LogEvents, "CloudWatch Logs logEvents", func(i int, b []byte) AWSRecord {
		var le awsLogEvent
		if err := json.Unmarshal(b, &le); err != nil || le.ID == "" {
			if err == nil {
				return AWSRecord{Event: awsFallback("", d.LogGroup, b), Err: awsRecordError("CloudWatch Logs", i, "", "", "log event has no id")}
			}
			return AWSRecord{Event: awsFallback("", d.LogGroup, b), Err: awsRecordError("CloudWatch Logs", i, "", "", "%v", err)}
		}
		src, ok := sc.get(d.LogGroup)
		if !ok {
			return AWSRecord{Event: awsFallback(le.ID, "", b), Err: awsRecordError("CloudWatch Logs", i, "id", le.ID, "logGroup %q is not a URI-reference", d.LogGroup)}
		}
		data := []byte(le.Message)
		e := awsNewEvent(le.ID, src, AWSTypeLogEvent, awsSniffContentType(data, "text/plain", "text/plain"), awsEpochMillis(strconv.FormatInt(le.Timestamp, 10)), data)
		if d.LogStream != "" {
			e.SetSubject(d.LogStream)
		}
		return AWSRecord{Event: e}
	})
}

func awsIsText(b []byte) bool { return utf8.Valid(b) }
