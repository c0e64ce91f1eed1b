package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

const eventsUsage = `Usage: fnkit events <source> [flags]

Prints a realistic sample event of a trigger, shaped as the platform sends
it, for "fnkit invoke", unit tests, or "aws lambda invoke --payload".

Sources:
%s
Flags:
`

// sampleFlags are the fields a sample can take from the command line.
type sampleFlags struct {
	body, bucket, key, path, method, detailType, source, id string
}

// sample makes one source's sample event.
type sample struct {
	about string
	make  func(f *sampleFlags) any
}

// fixed values keep samples reproducible.
var (
	sampleTime   = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	sampleRegion = "eu-west-1"
	sampleAcct   = "123456789012"
)

var samples = map[string]sample{
	"sqs": {"an SQS batch of one message (--body)", func(f *sampleFlags) any {
		return events.SQSEvent{Records: []events.SQSMessage{{
			MessageId: or(f.id, "059f36b4-87a3-44ab-83d2-661975830a7d"), ReceiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
			Body: or(f.body, `{"orderId":"o-1","amount":42}`), Md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": ms(sampleTime),
				"SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": ms(sampleTime.Add(time.Second))},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN:    "arn:aws:sqs:" + sampleRegion + ":" + sampleAcct + ":orders", EventSource: "aws:sqs", AWSRegion: sampleRegion,
		}}}
	}},
	"sns": {"an SNS notification (--body is the message)", func(f *sampleFlags) any {
		topic := "arn:aws:sns:" + sampleRegion + ":" + sampleAcct + ":orders"
		return events.SNSEvent{Records: []events.SNSEventRecord{{EventVersion: "1.0", EventSource: "aws:sns",
			EventSubscriptionArn: topic + ":2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
			SNS: events.SNSEntity{Type: "Notification", MessageID: or(f.id, "95df01b4-ee98-5cb9-9903-4c221d41eb5e"), TopicArn: topic,
				Subject: "order", Message: or(f.body, `{"orderId":"o-1"}`), Timestamp: sampleTime, SignatureVersion: "1",
				Signature: "EXAMPLE", SigningCertURL: "https://sns." + sampleRegion + ".amazonaws.com/SimpleNotificationService-0000.pem",
				UnsubscribeURL:    "https://sns." + sampleRegion + ".amazonaws.com/?Action=Unsubscribe",
				MessageAttributes: map[string]any{}}}}}
	}},
	"s3": {"an S3 ObjectCreated:Put notification (--bucket, --key)", func(f *sampleFlags) any {
		bucket, key := or(f.bucket, "uploads"), or(f.key, "photos/cat.png")
		return events.S3Event{Records: []events.S3EventRecord{{EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: sampleRegion,
			EventTime: sampleTime, EventName: "ObjectCreated:Put", PrincipalID: events.S3UserIdentity{PrincipalID: "AWS:AIDAINPONIXQXHT3IKHL2"},
			RequestParameters: events.S3RequestParameters{SourceIPAddress: "203.0.113.7"},
			ResponseElements:  map[string]string{"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
			S3: events.S3Entity{SchemaVersion: "1.0", ConfigurationID: "uploads",
				Bucket: events.S3Bucket{Name: bucket, OwnerIdentity: events.S3UserIdentity{PrincipalID: "A3NL1KOZZKExample"}, Arn: "arn:aws:s3:::" + bucket},
				Object: events.S3Object{Key: url.QueryEscape(key), Size: 1024, ETag: "d41d8cd98f00b204e9800998ecf8427e", Sequencer: "0055AED6DCD90281E5"}}}}}
	}},
	"eventbridge": {"an EventBridge event (--source, --detail-type, --body is the detail)", func(f *sampleFlags) any {
		return events.EventBridgeEvent{Version: "0", ID: or(f.id, "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa"), DetailType: or(f.detailType, "OrderPlaced"),
			Source: or(f.source, "com.example.orders"), AccountID: sampleAcct, Time: sampleTime, Region: sampleRegion,
			Resources: []string{}, Detail: json.RawMessage(or(f.body, `{"orderId":"o-1"}`))}
	}},
	"schedule": {"an EventBridge scheduled event (rate or cron rule)", func(f *sampleFlags) any {
		return events.EventBridgeEvent{Version: "0", ID: or(f.id, "89d1a02d-5ec7-412e-82f5-13505f849b41"), DetailType: "Scheduled Event",
			Source: "aws.events", AccountID: sampleAcct, Time: sampleTime, Region: sampleRegion,
			Resources: []string{"arn:aws:events:" + sampleRegion + ":" + sampleAcct + ":rule/nightly"}, Detail: json.RawMessage(`{}`)}
	}},
	"kinesis": {"a Kinesis batch of one record (--body is the data)", func(f *sampleFlags) any {
		return events.KinesisEvent{Records: []events.KinesisEventRecord{{AwsRegion: sampleRegion, EventName: "aws:kinesis:record",
			EventID: "shardId-000000000006:49590338271490256608559692538361571095921575989136588898", EventSource: "aws:kinesis",
			EventSourceArn: "arn:aws:kinesis:" + sampleRegion + ":" + sampleAcct + ":stream/clicks", EventVersion: "1.0",
			InvokeIdentityArn: "arn:aws:iam::" + sampleAcct + ":role/lambda-kinesis-role",
			Kinesis: events.KinesisRecord{ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: sampleTime}, Data: []byte(or(f.body, `{"click":"buy"}`)),
				PartitionKey: "user-7", SequenceNumber: "49590338271490256608559692538361571095921575989136588898", KinesisSchemaVersion: "1.0"}}}}
	}},
	"dynamodb": {"a DynamoDB Streams INSERT record", func(f *sampleFlags) any {
		return events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{AWSRegion: sampleRegion, EventID: or(f.id, "c4ca4238a0b923820dcc509a6f75849b"),
			EventName: "INSERT", EventSource: "aws:dynamodb", EventVersion: "1.1",
			EventSourceArn: "arn:aws:dynamodb:" + sampleRegion + ":" + sampleAcct + ":table/orders/stream/2026-11-24T10:00:00.000",
			Change: events.DynamoDBStreamRecord{ApproximateCreationDateTime: events.SecondsEpochTime{Time: sampleTime},
				Keys:           map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute("o-1")},
				NewImage:       map[string]events.DynamoDBAttributeValue{"id": events.NewStringAttribute("o-1"), "amount": events.NewNumberAttribute("42")},
				SequenceNumber: "4421584500000000017450439091", SizeBytes: 26, StreamViewType: "NEW_AND_OLD_IMAGES"}}}}
	}},
	"apigw-v1": {"an API Gateway REST API proxy request (--method, --path, --body)", func(f *sampleFlags) any {
		method, path := or(f.method, "POST"), or(f.path, "/orders")
		return events.APIGatewayProxyRequest{Resource: path, Path: path, HTTPMethod: method,
			Headers:           map[string]string{"Content-Type": "application/json", "Host": "abc123.execute-api." + sampleRegion + ".amazonaws.com"},
			MultiValueHeaders: map[string][]string{"Content-Type": {"application/json"}, "Host": {"abc123.execute-api." + sampleRegion + ".amazonaws.com"}},
			RequestContext: events.APIGatewayProxyRequestContext{AccountID: sampleAcct, ResourceID: "123456", Stage: "prod", RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
				Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7", UserAgent: "curl/8.5.0"}, ResourcePath: path, HTTPMethod: method, APIID: "abc123",
				Protocol: "HTTP/1.1", RequestTimeEpoch: sampleTime.UnixMilli()},
			Body: or(f.body, `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`)}
	}},
	"apigw-v2": {"an API Gateway HTTP API request, payload format 2.0 (--method, --path, --body)", func(f *sampleFlags) any {
		return httpV2(f, "abc123.execute-api."+sampleRegion+".amazonaws.com", "$default")
	}},
	"function-url": {"a Lambda Function URL request (--method, --path, --body)", func(f *sampleFlags) any {
		return httpV2(f, "abcdefghijklmnopqrstuvwxyz0123.lambda-url."+sampleRegion+".on.aws", "$default")
	}},
	"alb": {"an Application Load Balancer request (--method, --path, --body)", func(f *sampleFlags) any {
		return events.ALBTargetGroupRequest{HTTPMethod: or(f.method, "POST"), Path: or(f.path, "/orders"),
			Headers:        map[string]string{"content-type": "application/json", "host": "orders-123.elb.amazonaws.com", "x-forwarded-for": "203.0.113.7"},
			RequestContext: events.ALBTargetGroupRequestContext{ELB: events.ELBContext{TargetGroupArn: "arn:aws:elasticloadbalancing:" + sampleRegion + ":" + sampleAcct + ":targetgroup/orders/6d0ecf831eec9f09"}},
			Body:           or(f.body, `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`)}
	}},
	"pubsub": {"a Pub/Sub push delivery (--body is the message data)", func(f *sampleFlags) any {
		return map[string]any{"message": map[string]any{"data": base64.StdEncoding.EncodeToString([]byte(or(f.body, `{"orderId":"o-1"}`))),
			"messageId": or(f.id, "2070443601311540"), "publishTime": sampleTime.Format(time.RFC3339Nano), "attributes": map[string]string{"origin": "fnkit"}},
			"subscription": "projects/my-project/subscriptions/orders-push", "deliveryAttempt": 1}
	}},
	"storage": {"a Cloud Storage object finalized CloudEvent, as Eventarc delivers it (--bucket, --key)", func(f *sampleFlags) any {
		bucket, key := or(f.bucket, "uploads"), or(f.key, "photos/cat.png")
		return map[string]any{"specversion": "1.0", "id": or(f.id, "1234567890123456"), "type": "google.cloud.storage.object.v1.finalized",
			"source": "//storage.googleapis.com/projects/_/buckets/" + bucket, "subject": "objects/" + key, "time": sampleTime.Format(time.RFC3339Nano),
			"datacontenttype": "application/json", "data": map[string]any{"bucket": bucket, "name": key, "size": "1024", "contentType": "image/png",
				"generation": "1700000000000000", "metageneration": "1", "timeCreated": sampleTime.Format(time.RFC3339Nano), "updated": sampleTime.Format(time.RFC3339Nano)}}
	}},
	"cloudevent": {"a structured-mode CloudEvent (--source, --detail-type is the type, --body is the data)", func(f *sampleFlags) any {
		var data any = json.RawMessage(or(f.body, `{"name":"Ada"}`))
		if !json.Valid([]byte(or(f.body, "{}"))) {
			data = f.body
		}
		return map[string]any{"specversion": "1.0", "id": or(f.id, "42"), "source": or(f.source, "/fnkit/sample"),
			"type": or(f.detailType, "com.example.hello"), "time": sampleTime.Format(time.RFC3339Nano), "datacontenttype": "application/json", "data": data}
	}},
}

func httpV2(f *sampleFlags, domain, stage string) events.APIGatewayV2HTTPRequest {
	method, path := or(f.method, "POST"), or(f.path, "/orders")
	return events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: path, RawQueryString: "",
		Cookies: []string{"session=abc123"},
		Headers: map[string]string{"content-type": "application/json", "host": domain, "user-agent": "curl/8.5.0", "x-forwarded-for": "203.0.113.7"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{RouteKey: "$default", AccountID: sampleAcct, Stage: stage, RequestID: "JKJaXmPLvHcESHA=",
			APIID: strings.SplitN(domain, ".", 2)[0], DomainName: domain, DomainPrefix: strings.SplitN(domain, ".", 2)[0],
			Time: sampleTime.Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: sampleTime.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: "curl/8.5.0"}},
		Body: or(f.body, `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`)}
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func sourceList() string {
	names := make([]string, 0, len(samples))
	for n := range samples {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %-13s %s\n", n, samples[n].about)
	}
	return b.String()
}

func runEvents(args []string, stdout, stderr io.Writer) int {
	var f sampleFlags
	fs := flag.NewFlagSet("fnkit events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, eventsUsage, sourceList()); fs.PrintDefaults() }
	fs.StringVar(&f.body, "body", "", "the message body, detail or data")
	fs.StringVar(&f.bucket, "bucket", "", "bucket name (s3, storage)")
	fs.StringVar(&f.key, "key", "", "object key (s3, storage)")
	fs.StringVar(&f.path, "path", "", "request path (HTTP triggers)")
	fs.StringVar(&f.method, "method", "", "request method (HTTP triggers)")
	fs.StringVar(&f.detailType, "detail-type", "", "EventBridge detail-type, or the type of a cloudevent")
	fs.StringVar(&f.source, "source", "", "event source (eventbridge, cloudevent)")
	fs.StringVar(&f.id, "id", "", "message or event id")
	if len(args) == 0 {
		fs.Usage()
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" {
		fs.Usage()
		return exitOK
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	s, ok := samples[name]
	if !ok {
		fmt.Fprintf(stderr, "fnkit events: unknown source %q; the sources are:\n%s", name, sourceList())
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fnkit events: unexpected arguments %q: flags come after the source\n", fs.Args())
		return exitUsage
	}
	out, err := json.MarshalIndent(s.make(&f), "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "fnkit events: --body must be JSON for %s: %v\n", name, err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return exitOK
}
