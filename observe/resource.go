package observe

import (
	"os"
	"path/filepath"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk"
	"go.opentelemetry.io/otel/sdk/resource"
)

// detect returns the resource attributes of the platform the process runs
// on, read from the variables each platform sets: AWS Lambda
// (AWS_LAMBDA_FUNCTION_NAME and friends), Google Cloud Functions
// (FUNCTION_TARGET with K_SERVICE), Cloud Run and Knative (K_SERVICE,
// K_REVISION, K_CONFIGURATION), else a local run.
func detect(get func(string) (string, bool)) (attrs []attribute.KeyValue, platform string) {
	val := func(k string) string { v, _ := get(k); return v }
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, attribute.String(k, v))
		}
	}
	switch {
	case val("AWS_LAMBDA_FUNCTION_NAME") != "":
		platform = "aws_lambda"
		add("cloud.provider", "aws")
		add("cloud.platform", "aws_lambda")
		add("cloud.region", val("AWS_REGION"))
		add("faas.name", val("AWS_LAMBDA_FUNCTION_NAME"))
		add("faas.version", val("AWS_LAMBDA_FUNCTION_VERSION"))
		add("faas.instance", val("AWS_LAMBDA_LOG_STREAM_NAME"))
		add("aws.log.group.names", val("AWS_LAMBDA_LOG_GROUP_NAME"))
		if mb, err := strconv.ParseInt(val("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64); err == nil && mb > 0 {
			attrs = append(attrs, attribute.Int64("faas.max_memory", mb<<20)) // bytes, by the semantic conventions
		}
	case val("FUNCTION_TARGET") != "" && val("K_SERVICE") != "":
		platform = "gcp_cloud_functions"
		add("cloud.provider", "gcp")
		add("cloud.platform", "gcp_cloud_functions")
		add("faas.name", val("K_SERVICE"))
		add("faas.version", val("K_REVISION"))
		add("fnkit.function_target", val("FUNCTION_TARGET"))
		add("cloud.account.id", val("GOOGLE_CLOUD_PROJECT"))
	case val("K_SERVICE") != "":
		platform = "knative"
		add("faas.name", val("K_SERVICE"))
		add("faas.version", val("K_REVISION"))
		add("fnkit.knative.configuration", val("K_CONFIGURATION"))
		if val("CLOUD_RUN_TIMEOUT_SECONDS") != "" || val("GOOGLE_CLOUD_PROJECT") != "" {
			add("cloud.provider", "gcp")
			add("cloud.platform", "gcp_cloud_run")
			add("cloud.account.id", val("GOOGLE_CLOUD_PROJECT"))
		}
	default:
		platform = "local"
		if h, err := os.Hostname(); err == nil {
			add("host.name", h)
		}
	}
	add("fnkit.platform", platform)
	return attrs, platform
}

// buildResource merges, lowest precedence first: the SDK's own
// attributes, the detected platform, OTEL_RESOURCE_ATTRIBUTES, the
// options' attributes, and OTEL_SERVICE_NAME. Without a service name from
// any of them it is the function name, else unknown_service:<program>.
func buildResource(c *envConfig, detected, extra []attribute.KeyValue) *resource.Resource {
	set := map[attribute.Key]attribute.KeyValue{}
	var order []attribute.Key
	put := func(kvs ...attribute.KeyValue) {
		for _, kv := range kvs {
			if _, seen := set[kv.Key]; !seen {
				order = append(order, kv.Key)
			}
			set[kv.Key] = kv
		}
	}
	put(attribute.String("telemetry.sdk.name", "opentelemetry"), attribute.String("telemetry.sdk.language", "go"),
		attribute.String("telemetry.sdk.version", sdk.Version()))
	put(detected...)
	put(c.resAttrs...)
	put(extra...)
	if c.serviceName != "" {
		put(attribute.String("service.name", c.serviceName))
	}
	if _, ok := set["service.name"]; !ok {
		if fn, ok := set["faas.name"]; ok {
			put(attribute.String("service.name", fn.Value.AsString()))
		} else {
			exe, _ := os.Executable()
			put(attribute.String("service.name", "unknown_service:"+filepath.Base(exe)))
		}
	}
	kvs := make([]attribute.KeyValue, 0, len(order))
	for _, k := range order {
		kvs = append(kvs, set[k])
	}
	return resource.NewWithAttributes("", kvs...)
}
