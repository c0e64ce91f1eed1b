// Package awslambda runs fnkit handlers on AWS Lambda behind every common
// trigger, with Lambda's own retry and partial-batch semantics.
//
// New(h) makes a Function (an aws-lambda-go lambda.Handler) for a
// handler.Handler; Start(h) runs it (or returns ErrNoRuntimeAPI outside
// Lambda, where aws-lambda-go would exit). NewHTTP/StartHTTP do the same
// for any http.Handler. Each payload's trigger is detected from its shape
// (events.DetectAWS), or pinned with WithTrigger; each record becomes one
// CloudEvent as package events documents (SQS, SNS, S3, EventBridge,
// Kinesis, DynamoDB Streams, Kafka, CloudWatch Logs) and one handler call.
// HTTP triggers (API Gateway REST and HTTP APIs, ALB, function URLs) are
// served as *http.Request by an http.Handler: for New(h), that is
// httpserver.New(h), so CloudEvents over HTTP (binary, structured, batch,
// plain JSON) get exactly adapters/httpserver's decoding and status table.
//
// # Batches
//
//	trigger                 concurrency                    result on failure
//	SQS standard queue      WithConcurrency (10)           batchItemFailures: the failed messageIds
//	SQS FIFO queue          groups in parallel, each in    the first failed message of a group and
//	                        order                          every later one of that group (not handled)
//	Kinesis, DynamoDB       WithStreamConcurrency (1:      batchItemFailures: the lowest failed
//	                        in order, stop at a failure)   sequence number (Lambda retries from it)
//	SNS, S3, EventBridge,   WithConcurrency                the invocation fails (first failure);
//	Kafka, CloudWatch Logs                                 Lambda retries the whole payload
//
// The event source mapping must have ReportBatchItemFailures enabled for
// partial responses to count. When every SQS message fails, or a failed
// record has no id to report, the invocation fails instead, so the whole
// batch is retried whatever the mapping's settings. A record that cannot
// be read (bad base64, a body that is not the CloudEvent it claims to be)
// fails on its own as invalid input, named in the error; its neighbours
// are handled. Each failed record is logged (WithLogger) with its index,
// id, class and error, since the batch response carries only ids.
//
// # Error classes
//
//	class (handler.ClassOf)    event triggers (queues, streams,        direct invocation
//	                           notifications)
//	none                       handled                                 result: the reply's data
//	retryable, throttled       failed: Lambda retries it               error, errorType Retryable / Throttled
//	invalid input, permanent   with WithDeadLetter: published to the   error, errorType InvalidInput / Permanent
//	                           dead-letter Publisher, then handled
//	                           (failed and retried if that publish
//	                           fails); without: failed like any other,
//	                           never dropped
//
// The errorType of a failed invocation (ErrorType) names the class of the
// error — InvalidInput, Permanent, Throttled or Retryable (a recovered
// panic is Retryable) — so a Step Functions task can Retry on
// ["Retryable","Throttled"] and Catch ["InvalidInput","Permanent"].
//
// # Direct invocations
//
// Any other JSON (Step Functions tasks, aws lambda invoke, other
// functions) becomes one event: id the Lambda request id, source the
// function ARN, type DefaultInvokeType (WithInvokeType),
// datacontenttype application/json, data the payload. The function's
// result is the reply's data (JSON as is, text as a JSON string, binary as
// base64), or null without a reply. A payload that is a structured
// CloudEvent is that event, and the result is the reply as a structured
// CloudEvent.
//
// # Context
//
// Handlers find handler.Invocation (platform aws-lambda, the Lambda
// request id, the deadline, cold start, the function ARN, the X-Ray trace
// header, Sync, and for SQS the receive count as Attempt) with
// handler.InvocationFrom, and the Lambda specifics, the original record
// included, with InfoFrom.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/queue-worker],
// [github.com/fnkit/fnkit/examples/http-api],
// [github.com/fnkit/fnkit/examples/storage-processor].
package awslambda
