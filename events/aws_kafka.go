package events

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// AWSTypeKafkaRecord is the CloudEvent type of a Kafka record that is not
// itself a CloudEvent.
const AWSTypeKafkaRecord = "com.amazonaws.kafka.record"

type awsKafkaEvent struct {
	EventSource      string                     `json:"eventSource"`
	EventSourceArn   string                     `json:"eventSourceArn"`
	BootstrapServers string                     `json:"bootstrapServers"`
	Records          map[string]json.RawMessage `json:"records"`
}

type awsKafkaRecord struct {
	Topic     string              `json:"topic"`
	Partition int64               `json:"partition"`
	Offset    int64               `json:"offset"`
	Timestamp int64               `json:"timestamp"`
	Key       *string             `json:"key"`
	Value     *string             `json:"value"`
	Headers   []map[string][]byte `json:"headers"`
}

// FromKafka maps an Amazon MSK or self-managed Kafka event to one record
// per Kafka record, in topic-partition order and, within one, offset order:
//
//	id               topic + "-" + partition + "-" + offset
//	source           eventSourceArn (MSK); for self-managed Kafka without
//	                 one, "kafka://" + the first bootstrap server + "/" + topic
//	type             AWSTypeKafkaRecord
//	subject          the key, base64-decoded, if it is UTF-8 text
//	time             timestamp (milliseconds)
//	datacontenttype  the record header "content-type" if set, else
//	                 application/json for JSON data, else application/octet-stream
//	data             value, base64-decoded
//
// A record in the CloudEvents Kafka binding's binary mode (ce_ headers) or
// structured mode (a structured CloudEvent as the value) is that event.
// Lambda's Kafka triggers have no partial batch response, so ItemID is
// empty.
func FromKafka(payload []byte) ([]AWSRecord, error) {
	var ev awsKafkaEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, awsPayloadError("Kafka event: %v", err)
	}
	keys := make([]string, 0, len(ev.Records))
	for k := range ev.Records {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []AWSRecord
	n := 0
	for _, k := range keys {
		elems, err := awsSplitArray(ev.Records[k])
		if err != nil {
			return nil, awsPayloadError("Kafka records[%q]: %v", k, err)
		}
		for _, b := range elems {
			rec := kafkaRecord(n, b, &ev)
			rec.Raw = b
			out = append(out, rec)
			n++
		}
	}
	return out, nil
}

func kafkaRecord(i int, b []byte, ev *awsKafkaEvent) AWSRecord {
	var r awsKafkaRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return AWSRecord{Event: awsFallback("", ev.EventSourceArn, b), Err: awsRecordError("Kafka", i, "", "", "%v", err)}
	}
	id := r.Topic + "-" + strconv.FormatInt(r.Partition, 10) + "-" + strconv.FormatInt(r.Offset, 10)
	var data []byte
	if r.Value != nil {
		d, err := base64.StdEncoding.DecodeString(*r.Value)
		if err != nil {
			return AWSRecord{Event: awsFallback(id, ev.EventSourceArn, b), Err: awsRecordError("Kafka", i, "id", id, "value is not valid base64: %v", err)}
		}
		data = d
	}
	if e, ok, err := kafkaBinaryEvent(r.Headers, data); ok {
		if err != nil {
			return AWSRecord{Event: awsFallback(id, ev.EventSourceArn, b), Err: awsRecordError("Kafka", i, "id", id, "ce_ headers: %v", err)}
		}
		return AWSRecord{Event: e}
	}
	if awsLooksLikeStructuredEvent(data) {
		e, err := awsUnwrapStructured(data)
		if err != nil {
			return AWSRecord{Event: awsFallback(id, ev.EventSourceArn, b), Err: awsRecordError("Kafka", i, "id", id, "value %v", err)}
		}
		return AWSRecord{Event: e}
	}
	source := ev.EventSourceArn
	if source == "" {
		server := ev.BootstrapServers
		for j := 0; j < len(server); j++ {
			if server[j] == ',' {
				server = server[:j]
				break
			}
		}
		source = "kafka://" + server + "/" + url.PathEscape(r.Topic)
	}
	u, err := url.Parse(source)
	if err != nil || r.Topic == "" {
		return AWSRecord{Event: awsFallback(id, "", b), Err: awsRecordError("Kafka", i, "id", id, "no usable topic or event source %q", source)}
	}
	ct := ""
	for _, h := range r.Headers {
		for k, v := range h {
			if awsEqualFold(k, "content-type") && len(k) == len("content-type") {
				ct = string(v)
			}
		}
	}
	if ct == "" {
		ct = awsSniffContentType(data, "", "application/octet-stream")
	}
	e := awsNewEvent(id, types.URIRef{URL: *u}, AWSTypeKafkaRecord, ct, awsEpochMillis(strconv.FormatInt(r.Timestamp, 10)), data)
	if r.Key != nil {
		if k, err := base64.StdEncoding.DecodeString(*r.Key); err == nil && len(k) > 0 && awsIsText(k) {
			e.SetSubject(string(k))
		}
	}
	return AWSRecord{Event: e}
}

// kafkaBinaryEvent reads a CloudEvent in the Kafka protocol binding's
// binary mode: attributes in ce_ headers, datacontenttype in
// content-type, data the value. ok is false without a ce_specversion
// header.
func kafkaBinaryEvent(headers []map[string][]byte, data []byte) (event.Event, bool, error) {
	var spec []byte
	for _, h := range headers {
		if v, found := h["ce_specversion"]; found {
			spec = v
		}
	}
	if spec == nil {
		return event.Event{}, false, nil
	}
	e := event.New(string(spec))
	for _, h := range headers {
		for k, v := range h {
			val := string(v)
			switch k {
			case "ce_specversion":
			case "ce_id":
				e.SetID(val)
			case "ce_source":
				e.SetSource(val)
			case "ce_type":
				e.SetType(val)
			case "ce_subject":
				e.SetSubject(val)
			case "ce_dataschema":
				e.SetDataSchema(val)
			case "ce_time":
				t, err := time.Parse(time.RFC3339Nano, val)
				if err != nil {
					return event.Event{}, true, fmt.Errorf("ce_time %q: %w", val, err)
				}
				e.SetTime(t)
			case "content-type":
				e.SetDataContentType(val)
			default:
				if name, ok := strings.CutPrefix(k, "ce_"); ok {
					e.SetExtension(name, val)
				}
			}
		}
	}
	e.DataEncoded = data
	if err := e.Validate(); err != nil {
		return event.Event{}, true, err
	}
	return e, true, nil
}
