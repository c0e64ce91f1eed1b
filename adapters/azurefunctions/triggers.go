package azurefunctions

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// CloudEvent types given to the events of triggers that have no
// CloudEvent of their own (Event Grid events keep their type).
const (
	TypeQueueMessage      = "azure.storage.queue.message"
	TypeServiceBusMessage = "azure.servicebus.message"
	TypeEventHubsEvent    = "azure.eventhubs.event"
	TypeBlobWritten       = "azure.storage.blob.written"
	TypeTimerFired        = "azure.functions.timer.fired"
)

// Extensions set by the mappings.
const (
	// ExtDataVersion carries an Event Grid event's dataVersion.
	ExtDataVersion = "dataversion"
	// ExtDataSchema carries an Event Grid CloudEvent's dataschema when
	// it is not an absolute URI (Event Grid sends "#").
	ExtDataSchema = "azuredataschema"
	// ExtCorrelationID carries a Service Bus message's CorrelationId.
	ExtCorrelationID = "correlationid"
	// ExtPartitionKey carries an Event Hubs event's partition key.
	ExtPartitionKey = "partitionkey"
	// ExtSequence carries an Event Hubs or Service Bus sequence number.
	ExtSequence = "sequence"
)

// newEvent returns an event with id, source and type set.
func newEvent(id, source, typ string) event.Event {
	e := event.New(event.CloudEventsVersionV1)
	e.SetID(id)
	e.SetSource(source)
	e.SetType(typ)
	return e
}

func setData(e *event.Event, data []byte, ct string) {
	if data == nil {
		return
	}
	e.SetDataContentType(ct)
	e.DataEncoded = data
}

// validate reports an invalid mapped event as a bad payload naming why.
func validate(what string, e *event.Event) error {
	if err := e.Validate(); err != nil {
		return bad("%s does not make a valid CloudEvent: %v", what, err)
	}
	return nil
}

// egProbe tells the two Event Grid schemas apart.
type egProbe struct {
	SpecVersion *string `json:"specversion"`
}

// egEvent is an event in the Event Grid schema.
type egEvent struct {
	ID              string          `json:"id"`
	Topic           string          `json:"topic"`
	Subject         string          `json:"subject"`
	EventType       string          `json:"eventType"`
	EventTime       string          `json:"eventTime"`
	Data            json.RawMessage `json:"data"`
	DataVersion     string          `json:"dataVersion"`
	MetadataVersion string          `json:"metadataVersion"`
}

// FromEventGrid maps the value of an Event Grid trigger binding (an
// object, or a string holding one) to a CloudEvent: an event in the
// CloudEvents v1.0 schema is that CloudEvent, attribute for attribute; an
// event in the Event Grid schema is mapped by the table in the package
// documentation. Errors are invalid input matching ErrBadPayload.
func FromEventGrid(raw json.RawMessage) (event.Event, error) {
	b, ok := objectBytes(raw)
	if !ok {
		return event.Event{}, bad("the Event Grid binding value is not a JSON object")
	}
	var probe egProbe
	if err := json.Unmarshal(b, &probe); err != nil {
		return event.Event{}, bad("the Event Grid event is not valid: %v", jsonError(err))
	}
	if probe.SpecVersion != nil {
		var e event.Event
		if err := json.Unmarshal(b, &e); err != nil {
			return event.Event{}, bad("the Event Grid CloudEvent is not valid: %v", err)
		}
		// Event Grid writes "dataschema":"#", which is no absolute URI:
		// keep it as an extension rather than refuse the event.
		if ec, ok := e.Context.(*event.EventContextV1); ok && ec.DataSchema != nil && !ec.DataSchema.Validate() {
			ds := ec.DataSchema.String()
			if ds == "" {
				ds = "#"
			}
			ec.DataSchema = nil
			e.SetExtension(ExtDataSchema, ds)
		}
		return e, validate("the Event Grid CloudEvent", &e)
	}
	var g egEvent
	if err := json.Unmarshal(b, &g); err != nil {
		return event.Event{}, bad("the Event Grid event is not valid: %v", jsonError(err))
	}
	switch {
	case g.ID == "":
		return event.Event{}, bad("the Event Grid event has no id")
	case g.EventType == "":
		return event.Event{}, bad("the Event Grid event has no eventType")
	case g.Topic == "":
		return event.Event{}, bad("the Event Grid event has no topic")
	}
	e := newEvent(g.ID, g.Topic, g.EventType)
	if g.Subject != "" {
		e.SetSubject(g.Subject)
	}
	if g.EventTime != "" {
		t, err := types.ParseTime(g.EventTime)
		if err != nil {
			return event.Event{}, bad("the Event Grid event's eventTime %q is not an RFC 3339 time", g.EventTime)
		}
		e.SetTime(t)
	}
	if g.DataVersion != "" {
		e.SetExtension(ExtDataVersion, g.DataVersion)
	}
	if d := bytes.TrimSpace(g.Data); len(d) > 0 && string(d) != "null" {
		setData(&e, d, mediaJSON)
	}
	return e, validate("the Event Grid event", &e)
}

// FromStorageQueue maps a Storage Queue trigger invocation to a
// CloudEvent (see the package documentation's table) and returns the
// message's DequeueCount, the delivery attempt. source is the event
// source to give (the queue's URI, or any URI-reference).
func FromStorageQueue(r Request, binding, source string) (event.Event, int, error) {
	raw, err := r.Binding(binding)
	if err != nil {
		return event.Event{}, 0, err
	}
	id := r.MetaString("Id")
	if id == "" {
		return event.Event{}, 0, bad("the queue message has no Id in Metadata")
	}
	data, ct, err := payload(raw, "")
	if err != nil {
		return event.Event{}, 0, err
	}
	e := newEvent(id, source, TypeQueueMessage)
	if t, ok := r.MetaTime("InsertionTime"); ok {
		e.SetTime(t)
	}
	setData(&e, data, ct)
	n, _ := r.MetaInt("DequeueCount")
	return e, attempt(n), validate("the queue message", &e)
}

// FromServiceBus maps a Service Bus trigger invocation to a CloudEvent
// and returns the message's DeliveryCount, the delivery attempt.
func FromServiceBus(r Request, binding, source string) (event.Event, int, error) {
	raw, err := r.Binding(binding)
	if err != nil {
		return event.Event{}, 0, err
	}
	id := r.MetaString("MessageId")
	if id == "" {
		return event.Event{}, 0, bad("the Service Bus message has no MessageId in Metadata")
	}
	ct := r.MetaString("ContentType")
	if ct != "" && !validMedia(ct) {
		ct = ""
	}
	data, dct, err := payload(raw, ct)
	if err != nil {
		return event.Event{}, 0, err
	}
	e := newEvent(id, source, TypeServiceBusMessage)
	if t, ok := r.MetaTime("EnqueuedTimeUtc"); ok {
		e.SetTime(t)
	} else if t, ok := r.MetaTime("EnqueuedTime"); ok {
		e.SetTime(t)
	}
	if s := r.MetaString("Subject"); s != "" {
		e.SetSubject(s)
	} else if s := r.MetaString("Label"); s != "" {
		e.SetSubject(s)
	}
	if c := r.MetaString("CorrelationId"); c != "" {
		e.SetExtension(ExtCorrelationID, c)
	}
	if n, ok := r.MetaInt("SequenceNumber"); ok {
		e.SetExtension(ExtSequence, strconv.FormatInt(n, 10))
	}
	setData(&e, data, dct)
	n, _ := r.MetaInt("DeliveryCount")
	return e, attempt(n), validate("the Service Bus message", &e)
}

// attempt turns a platform count into handler.Invocation.Attempt.
func attempt(n int64) int {
	if n <= 0 || n > 1<<30 {
		return 0
	}
	return int(n)
}

// ehPartition is an Event Hubs trigger's PartitionContext.
type ehPartition struct {
	EventHubName            string `json:"EventHubName"`
	ConsumerGroup           string `json:"ConsumerGroup"`
	FullyQualifiedNamespace string `json:"FullyQualifiedNamespace"`
	PartitionID             string `json:"PartitionId"`
}

// FromEventHubs maps an Event Hubs trigger invocation with cardinality
// "many" (a batch) to one CloudEvent per event, in order; a single event
// (cardinality "one") gives a batch of one.
func FromEventHubs(r Request, binding string) ([]event.Event, error) {
	raw, err := r.Binding(binding)
	if err != nil {
		return nil, err
	}
	items, ok := arrayValues(raw)
	if !ok {
		items = []json.RawMessage{raw}
	}
	var pc ehPartition
	if b, ok := objectBytes(r.Metadata["PartitionContext"]); ok {
		_ = json.Unmarshal(b, &pc)
	}
	hub := pc.EventHubName
	if hub == "" {
		hub = "eventhub"
	}
	source := "/eventhubs/" + hub
	if pc.FullyQualifiedNamespace != "" {
		source = "//" + pc.FullyQualifiedNamespace + "/" + hub
	}
	if pc.PartitionID != "" {
		source += "/partitions/" + pc.PartitionID
	}
	seqs, _ := arrayValues(r.Metadata["SequenceNumberArray"])
	offsets, _ := arrayValues(r.Metadata["OffsetArray"])
	times, _ := arrayValues(r.Metadata["EnqueuedTimeUtcArray"])
	keys, _ := arrayValues(r.Metadata["PartitionKeyArray"])
	single := !ok
	if single {
		// Cardinality one: the metadata are scalars.
		seqs = []json.RawMessage{r.Metadata["SequenceNumber"]}
		offsets = []json.RawMessage{r.Metadata["Offset"]}
		times = []json.RawMessage{r.Metadata["EnqueuedTimeUtc"]}
		keys = []json.RawMessage{r.Metadata["PartitionKey"]}
	}
	at := func(vs []json.RawMessage, i int) json.RawMessage {
		if i < len(vs) {
			return vs[i]
		}
		return nil
	}
	out := make([]event.Event, 0, len(items))
	for i, item := range items {
		var id string
		seq, hasSeq := intValue(at(seqs, i))
		switch {
		case hasSeq:
			id = strconv.FormatInt(seq, 10)
		case stringValue(at(offsets, i)) != "":
			id = "offset-" + stringValue(at(offsets, i))
		default:
			return nil, bad("Event Hubs event %d has no sequence number or offset in Metadata", i)
		}
		if pc.PartitionID != "" {
			id = pc.PartitionID + "-" + id
		}
		data, ct, err := payload(item, "")
		if err != nil {
			return nil, bad("Event Hubs event %d: %v", i, err)
		}
		e := newEvent(id, source, TypeEventHubsEvent)
		if t, ok := timeValue(at(times, i)); ok {
			e.SetTime(t)
		}
		if hasSeq {
			e.SetExtension(ExtSequence, strconv.FormatInt(seq, 10))
		}
		if k := stringValue(at(keys, i)); k != "" {
			e.SetExtension(ExtPartitionKey, k)
		}
		setData(&e, data, ct)
		if err := validate("Event Hubs event "+strconv.Itoa(i), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// blobProperties is the part of a Blob trigger's Properties metadata the
// mapping uses.
type blobProperties struct {
	ContentType  string `json:"ContentType"`
	ETag         string `json:"ETag"`
	LastModified string `json:"LastModified"`
}

// FromBlob maps a Blob trigger invocation to a CloudEvent: the blob's
// content is the data. source is used when the metadata carry no Uri.
func FromBlob(r Request, binding, source string) (event.Event, error) {
	raw, err := r.Binding(binding)
	if err != nil {
		return event.Event{}, err
	}
	path := r.MetaString("BlobTrigger")
	uri := r.MetaString("Uri")
	if path == "" && uri == "" {
		return event.Event{}, bad("the blob has neither BlobTrigger nor Uri in Metadata")
	}
	var p blobProperties
	if b, ok := objectBytes(r.Metadata["Properties"]); ok {
		_ = json.Unmarshal(b, &p)
	}
	if p.ContentType != "" && !validMedia(p.ContentType) {
		p.ContentType = ""
	}
	data, ct, err := payload(raw, p.ContentType)
	if err != nil {
		return event.Event{}, err
	}
	src := source
	if uri != "" {
		src = uri
	}
	id := src
	if path != "" && uri == "" {
		id = path
	}
	if p.ETag != "" {
		id += "#" + strings.Trim(p.ETag, "\"")
	}
	e := newEvent(id, src, TypeBlobWritten)
	if path != "" {
		e.SetSubject(path)
	}
	if t, ok := timeValue(json.RawMessage(strconv.Quote(p.LastModified))); ok {
		e.SetTime(t)
	}
	setData(&e, data, ct)
	return e, validate("the blob", &e)
}

// timerInfo is a Timer trigger's binding value.
type timerInfo struct {
	ScheduleStatus *struct {
		Last string `json:"Last"`
		Next string `json:"Next"`
	} `json:"ScheduleStatus"`
	IsPastDue bool `json:"IsPastDue"`
}

// FromTimer maps a Timer trigger invocation to a CloudEvent whose data is
// the timer's JSON (ScheduleStatus, IsPastDue), whose time is when the
// host fired it (sys.UtcNow), and whose id is source and that time, so a
// redelivered occurrence keeps its id.
func FromTimer(r Request, binding, source string) (event.Event, error) {
	raw, err := r.Binding(binding)
	if err != nil {
		return event.Event{}, err
	}
	b, ok := objectBytes(raw)
	if !ok {
		return event.Event{}, bad("the timer binding value is not a JSON object")
	}
	var ti timerInfo
	if err := json.Unmarshal(b, &ti); err != nil {
		return event.Event{}, bad("the timer binding value is not valid: %v", jsonError(err))
	}
	fired := r.Sys().UtcNow
	if fired.IsZero() {
		return event.Event{}, bad("the timer invocation has no sys.UtcNow in Metadata")
	}
	e := newEvent(source+"@"+fired.UTC().Format(time.RFC3339), source, TypeTimerFired)
	e.SetTime(fired)
	setData(&e, b, mediaJSON)
	return e, validate("the timer", &e)
}
