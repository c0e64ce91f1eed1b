package observe

import (
	"context"
	"strings"
	"testing"
)

func TestResourceDetection(t *testing.T) {
	cases := []struct {
		name     string
		env      map[string]string
		platform string
		want     map[string]any
	}{
		{"lambda", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_REGION": "us-east-1",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/02/[$LATEST]abc"}, "aws_lambda",
			map[string]any{"service.name": "fn", "faas.name": "fn", "faas.version": "$LATEST", "cloud.region": "us-east-1",
				"faas.max_memory": int64(128 << 20), "faas.instance": "2026/12/02/[$LATEST]abc", "cloud.platform": "aws_lambda"}},
		{"lambda bad memory ignored", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, "aws_lambda",
			map[string]any{"faas.max_memory": nil}},
		{"cloud functions", map[string]string{"FUNCTION_TARGET": "Greet", "K_SERVICE": "greet", "K_REVISION": "greet-00002", "GOOGLE_CLOUD_PROJECT": "p1"},
			"gcp_cloud_functions", map[string]any{"service.name": "greet", "faas.name": "greet", "faas.version": "greet-00002",
				"cloud.platform": "gcp_cloud_functions", "cloud.provider": "gcp", "fnkit.function_target": "Greet", "cloud.account.id": "p1"}},
		{"cloud run", map[string]string{"K_SERVICE": "api", "K_REVISION": "api-1", "K_CONFIGURATION": "api", "GOOGLE_CLOUD_PROJECT": "p2"}, "knative",
			map[string]any{"faas.name": "api", "cloud.platform": "gcp_cloud_run", "fnkit.knative.configuration": "api"}},
		{"knative", map[string]string{"K_SERVICE": "api"}, "knative", map[string]any{"faas.name": "api", "cloud.platform": nil}},
		{"local", map[string]string{}, "local", map[string]any{"fnkit.platform": "local", "faas.name": nil}},
		{"service name wins", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "fn", "OTEL_SERVICE_NAME": "svc", "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored,faas.name=over"},
			"aws_lambda", map[string]any{"service.name": "svc", "faas.name": "over"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tel, err := FromEnv(context.Background(), WithoutGlobals(), env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if tel.Platform() != c.platform {
				t.Fatalf("platform %q", tel.Platform())
			}
			got := map[string]any{}
			for _, kv := range tel.Resource().Attributes() {
				got[string(kv.Key)] = kv.Value.AsInterface()
			}
			for k, v := range c.want {
				if v == nil {
					if _, found := got[k]; found {
						t.Errorf("%s = %v, want none", k, got[k])
					}
					continue
				}
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			if s, _ := got["service.name"].(string); s == "" {
				t.Error("no service.name")
			}
		})
	}
	tel, _ := FromEnv(context.Background(), WithoutGlobals(), env(map[string]string{}))
	for _, kv := range tel.Resource().Attributes() {
		if kv.Key == "service.name" && !strings.HasPrefix(kv.Value.AsString(), "unknown_service:") {
			t.Fatalf("local service.name %v", kv.Value)
		}
	}
}
