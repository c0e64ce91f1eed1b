package depcheck

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/fnkit/fnkit"

// families groups third-party modules (by module path prefix) by what they
// are for. A package's rule names the families it may link; a module that
// is in no family fails the test until it is placed in one, so a new
// dependency is always a decision.
var families = map[string][]string{
	// The CloudEvents SDK's event package (the port type) and what it links.
	"cloudevents": {"github.com/cloudevents/sdk-go/v2", "github.com/json-iterator/go", "github.com/modern-go/", "github.com/google/uuid"},
	// go-playground/validator, linked only by handler/playground.
	"validator": {"github.com/go-playground/", "github.com/gabriel-vasile/mimetype", "github.com/leodido/go-urn", "golang.org/x/crypto", "golang.org/x/text", "golang.org/x/sys"},
	"bolt":      {"go.etcd.io/bbolt", "golang.org/x/sys"},
	"redis":     {"github.com/redis/go-redis", "github.com/cespare/xxhash", "go.uber.org/atomic", "golang.org/x/sys"},
	"pgx":       {"github.com/jackc/", "golang.org/x/sync", "golang.org/x/text"},
	"awssdk":    {"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go"},
	"breaker":   {"github.com/sony/gobreaker"},
	"lambda":    {"github.com/aws/aws-lambda-go"},
	"ffgo": {"github.com/GoogleCloudPlatform/functions-framework-go", "cloud.google.com/go", "go.uber.org/", "github.com/googleapis/",
		"google.golang.org/", "golang.org/x/"},
	"otel": {"go.opentelemetry.io/", "github.com/go-logr/", "github.com/cenkalti/backoff", "github.com/felixge/httpsnoop", "github.com/cespare/xxhash",
		"google.golang.org/protobuf", "golang.org/x/sys"},
	"backoff": {"github.com/cenkalti/backoff"},
	"xmod":    {"golang.org/x/mod"},
	// The CloudEvents SDK's HTTP protocol (its client side) logs with zap.
	"cloudevents-http": {"go.uber.org/"},
	// Google's Pub/Sub client (gRPC, auth, OpenCensus/OpenTelemetry instrumentation).
	"gcpubsub": {"cloud.google.com/go", "github.com/googleapis/", "google.golang.org/", "golang.org/x/", "go.opencensus.io",
		"go.opentelemetry.io/", "github.com/google/s2a-go", "github.com/felixge/httpsnoop", "github.com/go-logr/", "github.com/cespare/xxhash"},
}

// rule is what one package (relative to the module) may link: third-party
// families, fnkit packages (prefixes relative to the module; a package may
// always link itself and the shared internals ids, ceheader, awserr, busbatch and awsfifo) and, within allowed families,
// packages it still must not link.
type rule struct {
	families []string
	fnkit    []string
	forbid   []string
}

// sdkClient is the CloudEvents SDK's transport client: heavy, and never
// needed by the core, which speaks only the event type.
const sdkClient = "github.com/cloudevents/sdk-go/v2/client"

// awsService prefixes the AWS SDK's service clients.
const awsService = "github.com/aws/aws-sdk-go-v2/service/"

// anything marks packages that exist only for tests and benchmarks and may
// link whatever they measure against.
var anything = rule{families: []string{"*"}, fnkit: []string{""}}

// rules holds a rule for every package of the module; a package without
// one fails TestEveryPackageHasARule.
var rules = map[string]rule{
	"handler":             {families: []string{"cloudevents"}, forbid: []string{sdkClient}},
	"handler/playground":  {families: []string{"cloudevents", "validator"}, fnkit: []string{"handler"}, forbid: []string{sdkClient}},
	"handler/handlertest": {families: []string{"cloudevents"}, fnkit: []string{"handler"}, forbid: []string{sdkClient}},
	"adapters/httpserver": {families: []string{"cloudevents"}, fnkit: []string{"handler"}, forbid: []string{sdkClient}},
	"state":               {},
	"state/memstore":      {fnkit: []string{"state"}},
	"state/boltstore":     {families: []string{"bolt"}, fnkit: []string{"state"}},
	"state/redisstore":    {families: []string{"redis"}, fnkit: []string{"state"}},
	"state/pgstore":       {families: []string{"pgx"}, fnkit: []string{"state"}},
	"state/dynamostore":   {families: []string{"awssdk"}, fnkit: []string{"state"}},
	"state/resilient":     {families: []string{"breaker"}, fnkit: []string{"state"}},
	"state/storetest":     {fnkit: []string{"state"}},
	"idempotency":         {families: []string{"cloudevents"}, fnkit: []string{"handler", "state"}, forbid: []string{sdkClient}},
	"middleware": {families: []string{"cloudevents", "otel", "backoff", "breaker"}, fnkit: []string{"handler", "idempotency", "state"},
		forbid: []string{sdkClient, "go.opentelemetry.io/otel/sdk", "go.opentelemetry.io/otel/exporters", "go.opentelemetry.io/proto", "google.golang.org/grpc"}},
	// observe holds the OpenTelemetry SDK setup and its own OTLP/HTTP
	// encoding: never gRPC, the generated OTLP packages (they link gRPC)
	// nor the protobuf runtime.
	"observe": {families: []string{"cloudevents", "otel", "backoff", "breaker"}, fnkit: []string{"handler", "middleware", "idempotency", "state"},
		forbid: []string{sdkClient, "google.golang.org/grpc", "github.com/grpc-ecosystem", "go.opentelemetry.io/otel/exporters", "go.opentelemetry.io/proto",
			"google.golang.org/protobuf"}},
	"observe/coldstart":    {},
	"examples/hello/greet": {families: []string{"cloudevents"}, fnkit: []string{"handler"}, forbid: []string{sdkClient}},
	"examples/hello": {families: []string{"cloudevents", "otel", "backoff", "breaker"}, fnkit: []string{"handler", "adapters/httpserver", "middleware", "idempotency", "state", "examples/hello/greet"},
		forbid: []string{sdkClient, "go.opentelemetry.io/otel/sdk", "google.golang.org/grpc"}},
	"examples/http-api": {families: []string{"cloudevents", "bolt", "redis", "pgx", "awssdk", "breaker", "otel", "backoff", "lambda", "ffgo"},
		fnkit: []string{"handler", "adapters", "events", "state", "idempotency", "middleware", "examples/http-api/orders"}},
	// The orders API itself: the state port, the HTTP adapter and the middleware; no store driver, no platform SDK.
	"examples/http-api/orders": {families: []string{"cloudevents", "otel", "backoff", "breaker"},
		fnkit:  []string{"handler", "adapters/httpserver", "middleware", "idempotency", "state"},
		forbid: []string{sdkClient, "go.opentelemetry.io/otel/sdk", "google.golang.org/grpc"}},
	"events":               {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler"}, forbid: []string{sdkClient}},
	"events/publishertest": {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events"}, forbid: []string{sdkClient}},
	// The bus publishers: each links its own AWS service client only.
	"events/sqspub": {families: []string{"cloudevents", "breaker", "awssdk"}, fnkit: []string{"handler", "events", "internal/awserr", "internal/busbatch", "internal/awsfifo"},
		forbid: []string{sdkClient, awsService + "sns", awsService + "eventbridge", awsService + "dynamodb"}},
	"events/snspub": {families: []string{"cloudevents", "breaker", "awssdk"}, fnkit: []string{"handler", "events", "internal/awserr", "internal/busbatch", "internal/awsfifo"},
		forbid: []string{sdkClient, awsService + "sqs", awsService + "eventbridge", awsService + "dynamodb"}},
	"events/eventbridgepub": {families: []string{"cloudevents", "breaker", "awssdk"}, fnkit: []string{"handler", "events", "internal/awserr", "internal/busbatch"},
		forbid: []string{sdkClient, awsService + "sqs", awsService + "sns", awsService + "dynamodb"}},
	// What the bus publishers share: the batching loop and the SQS/SNS FIFO
	// keys; they speak the event type and the events port, never an SDK.
	"internal/busbatch": {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events"}, forbid: []string{sdkClient, "github.com/aws/"}},
	"internal/awsfifo":  {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events"}, forbid: []string{sdkClient, "github.com/aws/"}},
	"events/pubsubpub": {families: []string{"cloudevents", "breaker", "gcpubsub"}, fnkit: []string{"handler", "events"},
		forbid: []string{sdkClient, "github.com/aws/"}},
	"adapters/cloudfunctions": {families: []string{"cloudevents", "breaker", "ffgo"}, fnkit: []string{"handler", "events"}},
	"adapters/knative":        {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events", "adapters/httpserver"}, forbid: []string{sdkClient}},
	"adapters/azurefunctions": {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events", "adapters/httpserver"}, forbid: []string{sdkClient}},
	// A Lambda function links aws-lambda-go, never Redis, pgx, bbolt or functions-framework-go (no family for them here).
	"adapters/awslambda": {families: []string{"cloudevents", "breaker", "lambda"}, fnkit: []string{"handler", "events", "adapters/httpserver"}, forbid: []string{sdkClient}},
	// The SQS worker is a whole Lambda function: aws-lambda-go and the in-memory store, nothing else.
	"examples/queue-worker": {families: []string{"cloudevents", "breaker", "lambda", "otel", "backoff"},
		fnkit:  []string{"handler", "events", "adapters/httpserver", "adapters/awslambda", "idempotency", "state", "state/memstore", "middleware", "examples/queue-worker/shipping"},
		forbid: []string{sdkClient, "github.com/redis/", "github.com/jackc/", "go.etcd.io/bbolt", "github.com/GoogleCloudPlatform/", "github.com/aws/aws-sdk-go-v2"}},
	// The worker's logic: the handler, idempotency and the state port; no Lambda, no store driver.
	"examples/queue-worker/shipping": {families: []string{"cloudevents"}, fnkit: []string{"handler", "idempotency", "state"}, forbid: []string{sdkClient, "github.com/aws/"}},
	"examples/storage-processor": {families: []string{"cloudevents", "breaker", "ffgo", "lambda", "backoff", "otel"},
		fnkit: []string{"handler", "events", "adapters", "middleware", "idempotency", "state", "examples/storage-processor/uploads"}},
	// The consumer's logic: the handler and the events port; no adapter, no platform SDK.
	"examples/storage-processor/uploads": {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events"},
		forbid: []string{sdkClient, "github.com/aws/", "github.com/GoogleCloudPlatform/"}},
	"internal/ids":        {},
	"internal/ceheader":   {},
	"internal/awserr":     {families: []string{"awssdk", "cloudevents"}, fnkit: []string{"handler"}},
	"internal/testserver": {},
	"internal/depcheck":   {},
	"internal/doccheck":   {},
	"internal/bench":      anything,
	// The saga: the embedded store, the EventBridge and Pub/Sub publishers (one AWS service client) and every adapter; never Redis or pgx.
	"examples/saga": {families: []string{"cloudevents", "bolt", "awssdk", "gcpubsub", "breaker", "otel", "backoff", "lambda", "ffgo"},
		fnkit:  []string{"handler", "adapters", "events", "state", "idempotency", "middleware", "examples/saga/ordersaga"},
		forbid: []string{"github.com/redis/", "github.com/jackc/", awsService + "dynamodb", awsService + "sqs", awsService + "sns"}},
	// The saga's workflow: the handler, the events port, the state port and idempotency; no adapter, no store driver, no platform SDK or Pub/Sub client.
	"examples/saga/ordersaga": {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events", "state", "idempotency"},
		forbid: []string{sdkClient, "github.com/aws/", "github.com/GoogleCloudPlatform/", "cloud.google.com/go", "go.etcd.io/bbolt"}},
	// The scheduled job: the embedded store and every adapter; no AWS SDK, Redis or pgx.
	"examples/scheduled-job": {families: []string{"cloudevents", "bolt", "breaker", "otel", "backoff", "lambda", "ffgo"},
		fnkit:  []string{"handler", "adapters", "events", "state", "idempotency", "middleware", "examples/scheduled-job/nightly"},
		forbid: []string{"github.com/redis/", "github.com/jackc/", "github.com/aws/aws-sdk-go-v2"}},
	// The job's logic: the handler, the events mappings and the state port; no adapter, no store driver.
	"examples/scheduled-job/nightly": {families: []string{"cloudevents", "breaker"}, fnkit: []string{"handler", "events", "state"},
		forbid: []string{sdkClient, "github.com/aws/", "github.com/GoogleCloudPlatform/", "go.etcd.io/bbolt"}},
	"adapters/platform": {families: []string{"cloudevents", "lambda", "ffgo", "breaker", "backoff"},
		fnkit: []string{"handler", "adapters", "events"}},
	"cmd/fnkit":                 {families: []string{"cloudevents", "cloudevents-http", "lambda", "xmod", "breaker", "backoff"}, fnkit: []string{"examples", "adapters", "events", "handler"}},
	"examples":                  {},
	"internal/bench/loadserver": anything,
	// The cold-start programs: bare must stay net/http alone.
	"internal/bench/coldstart":               {families: []string{"cloudevents"}, fnkit: []string{"handler"}},
	"internal/bench/coldstart/bare":          {},
	"internal/bench/coldstart/measure":       {},
	"internal/bench/coldstart/hello":         anything,
	"internal/bench/coldstart/hellostack":    anything,
	"internal/bench/coldstart/helloplatform": anything,
	// The http-api programs: the bare one is net/http, bbolt and uuid only.
	"internal/bench/coldstart/httpapibare": {families: []string{"bolt", "cloudevents"},
		forbid: []string{"github.com/cloudevents/", "github.com/json-iterator/", "github.com/modern-go/"}},
	"internal/bench/coldstart/apiwire":       anything,
	"internal/bench/coldstart/httpapi":       anything,
	"internal/bench/coldstart/httpapisingle": anything,
}

// dep is one package that a package links.
type dep struct{ path, module string }

// deps lists the non-standard packages that pkg links, with their modules.
func deps(t testing.TB, pkg string) []dep {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}} {{with .Module}}{{.Path}}{{end}}{{end}}", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var ds []dep
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, mod, _ := strings.Cut(line, " ")
		ds = append(ds, dep{path, mod})
	}
	return ds
}

// under reports whether path is prefix or below it, prefixes ending in "/"
// matching anything that starts with them.
func under(path, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(path, prefix)
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func familyOf(mod string) []string {
	var names []string
	for name, prefixes := range families {
		for _, p := range prefixes {
			if under(mod, p) {
				names = append(names, name)
				break
			}
		}
	}
	return names
}

// check reports every dependency of pkg that its rule does not allow.
func check(t testing.TB, pkg string, r rule) {
	t.Helper()
	for _, d := range deps(t, module+"/"+pkg) {
		for _, f := range r.forbid {
			if under(d.path, f) {
				t.Errorf("%s links %s, which its rule forbids", pkg, d.path)
			}
		}
		if d.module == module {
			rel := strings.TrimPrefix(strings.TrimPrefix(d.path, module), "/")
			if rel == pkg || rel == "internal/ids" || rel == "internal/ceheader" || rel == "internal/awserr" || rel == "internal/busbatch" || rel == "internal/awsfifo" || slices.ContainsFunc(r.fnkit, func(p string) bool { return p == "" || under(rel, p) }) {
				continue
			}
			t.Errorf("%s links %s: add it to the rule's fnkit list if the dependency direction allows it", pkg, rel)
			continue
		}
		fams := familyOf(d.module)
		if len(fams) == 0 {
			t.Errorf("%s links %s of module %s, which is in no family: place it in one in depcheck's families", pkg, d.path, d.module)
			continue
		}
		if slices.Contains(r.families, "*") {
			continue
		}
		if !slices.ContainsFunc(fams, func(f string) bool { return slices.Contains(r.families, f) }) {
			t.Errorf("%s links %s (family %v), which its rule does not allow", pkg, d.path, fams)
		}
	}
}

func TestDependencyDirection(t *testing.T) {
	for pkg, r := range rules {
		t.Run(pkg, func(t *testing.T) { check(t, pkg, r) })
	}
}

// TestEveryPackageHasARule makes a new package declare what it may link.
func TestEveryPackageHasARule(t *testing.T) {
	out, err := exec.Command("go", "list", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if _, ok := rules[rel]; !ok {
			t.Errorf("package %s has no rule in depcheck: say what it may link", rel)
		}
	}
	for rel := range rules {
		if !slices.Contains(strings.Fields(string(out)), module+"/"+rel) {
			t.Errorf("depcheck has a rule for %s, which is not a package", rel)
		}
	}
}

// TestCheckCatchesViolations proves the check fails where it must: a rule
// that leaves out a family or an fnkit package the package really links.
func TestCheckCatchesViolations(t *testing.T) {
	cases := map[string]struct {
		pkg string
		r   rule
	}{
		"family not allowed":   {"state/redisstore", rule{fnkit: []string{"state"}}},
		"fnkit not allowed":    {"state/memstore", rule{}},
		"forbidden in family":  {"handler", rule{families: []string{"cloudevents"}, forbid: []string{"github.com/cloudevents/sdk-go/v2/event"}}},
		"wrong family allowed": {"state/boltstore", rule{families: []string{"redis"}, fnkit: []string{"state"}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{TB: t}
			check(rec, c.pkg, c.r)
			if !rec.failed {
				t.Errorf("check(%s) passed a rule that should fail", c.pkg)
			}
		})
	}
}

// recorder is a testing.T that notes failures instead of reporting them.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Helper()               {}
