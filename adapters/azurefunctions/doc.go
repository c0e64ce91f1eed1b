// Package azurefunctions runs fnkit handlers on Azure Functions as a
// custom handler: the Functions host starts the binary, gives it a port in
// FUNCTIONS_CUSTOMHANDLER_PORT, waits until GET / answers, then POSTs each
// invocation to /<FunctionName> as {"Data":{<binding>:…},"Metadata":{…}}
// and expects {"Outputs":{…},"Logs":[…],"ReturnValue":…} back; any answer
// that is not 2xx fails the invocation (and the host drops its outputs and
// logs, so this adapter logs every failure to standard error).
//
//	func main() {
//		cfg, err := azurefunctions.ConfigFromEnv()
//		if err != nil {
//			log.Fatal(err)
//		}
//		err = azurefunctions.ListenAndServe(context.Background(), cfg, []azurefunctions.Function{
//			azurefunctions.StorageQueue("OnOrder", "orders", onOrder),
//			azurefunctions.EventGrid("OnUpload", onUpload),
//			azurefunctions.HTTP("API", router, azurefunctions.WithRoute("{*path}")),
//		})
//		if err != nil {
//			log.Fatal(err)
//		}
//	}
//
// Handlers are bound per function name (matched case-insensitively, as
// Azure does). Serving goes through adapters/httpserver: the lame-duck
// drain on SIGTERM, FNKIT_DRAIN_DELAY and FNKIT_GRACE_PERIOD, and GET / as
// its health path (503 once draining). Single-event triggers are decoded
// by an httpserver.PlainDecoder, so the invocation, status and problem
// documents are httpserver's. Handlers see Platform ("azure-functions") in
// handler.Invocation, with Function (the function name), RequestID (the
// host's X-Azure-Functions-InvocationId, else sys.RandGuid), Attempt and
// Sync (true for HTTP only).
//
// # Triggers → CloudEvents
//
// The host encodes many values twice (a JSON string holding JSON, a
// metadata string holding a quoted string): the mappings decode both
// forms. A message's text is kept byte for byte; its datacontenttype is
// application/json when the text is JSON and text/plain otherwise, unless
// the trigger gives one. Bytes of a binary content type arrive in base64
// and are decoded.
//
//	trigger        id                          source                        type / subject / time                       attempt
//	Event Grid,    the CloudEvent itself, attribute for attribute ("dataschema":"#", which Event Grid sends and which is no absolute URI, becomes extension azuredataschema)
//	 CE schema
//	Event Grid     id                          topic                         eventType / subject / eventTime;            –
//	 schema                                                                  data as JSON; dataVersion → dataversion
//	Storage Queue  Metadata.Id                 WithSource, default           azure.storage.queue.message / – /           DequeueCount
//	                                           /functions/<FunctionName>     InsertionTime
//	Service Bus    Metadata.MessageId          WithSource, default as above  azure.servicebus.message / Subject or      DeliveryCount
//	                                                                         Label / EnqueuedTimeUtc; ContentType;
//	                                                                         CorrelationId → correlationid,
//	                                                                         SequenceNumber → sequence
//	Event Hubs     <PartitionId>-<Sequence-    //<namespace>/<hub>/          azure.eventhubs.event / – /                 –
//	 (per event)   Number> (offset-<Offset>    partitions/<PartitionId>      EnqueuedTimeUtcArray[i]; PartitionKey →
//	               without sequence numbers)                                 partitionkey, sequence
//	Blob           Uri#ETag                    Uri                           azure.storage.blob.written / BlobTrigger   –
//	                                                                         (container/name) / Properties.LastModified;
//	                                                                         data: the blob, Properties.ContentType
//	Timer          <source>@<sys.UtcNow>       WithSource, default as above  azure.functions.timer.fired / – /          –
//	                                                                         sys.UtcNow; data: the timer JSON
//
// The whole payload stays reachable: RequestFrom(ctx) gives a handler the
// invocation's Request (every binding and metadata value, raw, with the
// MetaString, MetaInt and MetaTime accessors).
//
// A reply's data becomes the ReturnValue ($return), or the output binding
// named by WithOutput: JSON as JSON, text as a string, bytes in base64.
// For an Event Hubs batch, the replies are a JSON array.
//
// # HTTP functions
//
// HTTP binds any http.Handler. With request forwarding (host.json
// "enableForwardingHttpRequest": true, see HostJSON) the host forwards the
// client's request to /<routePrefix>/<route> and the handler answers it
// directly, binary bodies included. Without forwarding the host posts the
// HTTP binding payload (Url, Method, Headers, Params, Body) to
// /<FunctionName>: it becomes an *http.Request (NewHTTPRequest; route
// parameters via r.PathValue; a binary Content-Type's body is decoded
// from base64) and the handler's response becomes the "res" output binding
// {"statusCode","headers","body"}; a response body that is not text is
// sent in base64, since the host's HTTP output has no binary marker: use
// forwarding for binary responses. The invocation succeeds whatever the
// HTTP status the handler chose.
//
// # Error classes → Azure retries
//
// The one table of this adapter. "Fails" means a non-2xx answer: the host
// fails the invocation and the trigger's own retry rules apply — a Storage
// Queue message becomes visible again and, after maxDequeueCount (5)
// dequeues, moves to <queue>-poison; a Service Bus message is abandoned
// and, after MaxDeliveryCount (10), dead-lettered; Event Grid retries with
// backoff and dead-letters to blob storage if the subscription has a
// destination; a blob is retried 5 times, then listed in
// webjobs-blobtrigger-poison; Event Hubs and Timer invocations are retried
// only under a host.json retry policy.
//
//	nil                         200 {"Outputs","Logs","ReturnValue"}
//	invalid input, permanent    with a dead letter (WithDeadLetter): sent
//	                            there, logged at Warn, then 200 — never
//	                            retried; if the publish fails: 500, retried.
//	                            Without: 400 / 422, logged: fails, so the
//	                            trigger's poison queue or dead-letter queue
//	                            keeps the message (after its retries)
//	throttled                   429 (+ Retry-After), logged: fails
//	retryable, panics           500, logged: fails
//	undecodable payload         400 (413 over WithMaxBodyBytes), logged
//	unknown function            404, logged; other methods than POST: 405
//
// In an Event Hubs batch events are handled in order: a failure for good
// is dead-lettered and the batch goes on; any other failure stops the
// batch and fails the invocation, so events from it on are delivered
// again (make handlers idempotent: the ids are stable).
//
// # Deployment files
//
// HostJSON and FunctionJSON generate host.json and each function's
// function.json from the same Function values; Files gives the whole
// set. WithEventGridHandshake answers Event Grid's webhook validation for
// handlers that take Event Grid deliveries straight over HTTP, without
// the Functions host.
//
// Complete functions using it, which "fnkit new" scaffolds:
// [github.com/fnkit/fnkit/examples/http-api].
package azurefunctions
