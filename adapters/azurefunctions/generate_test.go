package azurefunctions_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/handler"
)

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func TestHostJSON(t *testing.T) {
	b, err := azurefunctions.HostJSON(azurefunctions.HostConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version":         "2.0",
		"customHandler":   map[string]any{"description": map[string]any{"defaultExecutablePath": "handler"}},
		"extensionBundle": map[string]any{"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"},
	}
	if got := decodeJSON(t, b); !reflect.DeepEqual(got, want) {
		t.Errorf("zero HostConfig:\n%s", b)
	}
	b, err = azurefunctions.HostJSON(azurefunctions.HostConfig{Executable: "app", Arguments: []string{"-v"}, Forwarding: true,
		RoutePrefix: "/v1/", MaxDequeueCount: 3, FunctionTimeout: 90 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := decodeJSON(t, b)
	ch := got["customHandler"].(map[string]any)
	ext := got["extensions"].(map[string]any)
	if ch["enableForwardingHttpRequest"] != true || ch["description"].(map[string]any)["defaultExecutablePath"] != "app" ||
		ext["http"].(map[string]any)["routePrefix"] != "v1" || ext["queues"].(map[string]any)["maxDequeueCount"] != 3.0 ||
		got["functionTimeout"] != "01:30:00" {
		t.Errorf("HostConfig not reflected:\n%s", b)
	}
	if _, err := azurefunctions.HostJSON(azurefunctions.HostConfig{MaxDequeueCount: -1}); err == nil {
		t.Error("negative MaxDequeueCount accepted")
	}
}

func TestFunctionJSON(t *testing.T) {
	h := handler.Func(echo)
	tests := []struct {
		fn   azurefunctions.Function
		want string
	}{
		{azurefunctions.EventGrid("E", h), `{"bindings":[{"direction":"in","name":"event","type":"eventGridTrigger"}]}`},
		{azurefunctions.StorageQueue("Q", "orders", h, azurefunctions.WithBindingProperty("connection", "Orders"),
			azurefunctions.WithOutput("out"), azurefunctions.WithExtraBinding(map[string]any{"type": "queue", "direction": "out", "name": "out", "queueName": "done"})),
			`{"bindings":[{"connection":"Orders","direction":"in","name":"message","queueName":"orders","type":"queueTrigger"},{"direction":"out","name":"out","queueName":"done","type":"queue"}]}`},
		{azurefunctions.ServiceBus("S", "", h, azurefunctions.WithBindingProperty("topicName", "t"), azurefunctions.WithBindingProperty("subscriptionName", "s")),
			`{"bindings":[{"connection":"ServiceBusConnection","direction":"in","name":"message","subscriptionName":"s","topicName":"t","type":"serviceBusTrigger"}]}`},
		{azurefunctions.EventHubs("H", "telemetry", h), `{"bindings":[{"cardinality":"many","connection":"EventHubConnection","consumerGroup":"$Default","direction":"in","eventHubName":"telemetry","name":"events","type":"eventHubTrigger"}]}`},
		{azurefunctions.Blob("B", "uploads/{name}", h, azurefunctions.WithBinding("input")), `{"bindings":[{"connection":"AzureWebJobsStorage","direction":"in","name":"input","path":"uploads/{name}","type":"blobTrigger"}]}`},
		{azurefunctions.Timer("T", "0 */5 * * * *", h), `{"bindings":[{"direction":"in","name":"timer","schedule":"0 */5 * * * *","type":"timerTrigger"}]}`},
		{azurefunctions.HTTP("API", items(), azurefunctions.WithRoute("items/{id}"), azurefunctions.WithMethods("GET", "Post"), azurefunctions.WithAuthLevel("anonymous")),
			`{"bindings":[{"authLevel":"anonymous","direction":"in","methods":["get","post"],"name":"req","route":"items/{id}","type":"httpTrigger"},{"direction":"out","name":"res","type":"http"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.fn.Name(), func(t *testing.T) {
			b, err := azurefunctions.FunctionJSON(tc.fn)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := decodeJSON(t, b), decodeJSON(t, []byte(tc.want)); !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
	for _, fn := range []azurefunctions.Function{
		azurefunctions.StorageQueue("Q", "", h), azurefunctions.ServiceBus("S", "", h), azurefunctions.EventHubs("H", "", h),
		azurefunctions.Blob("B", "", h), azurefunctions.Timer("T", "", h),
	} {
		if _, err := azurefunctions.FunctionJSON(fn); !errors.Is(err, azurefunctions.ErrBadFunction) {
			t.Errorf("%s without its target: %v", fn.Name(), err)
		}
	}
}

func TestFiles(t *testing.T) {
	files, err := azurefunctions.Files(azurefunctions.HostConfig{Forwarding: true}, appFunctions()...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"host.json", "OnBlobEvent/function.json", "OnQueue/function.json", "OnOrder/function.json", "OnTelemetry/function.json",
		"OnBlob/function.json", "Tick/function.json", "Items/function.json", "Bin/function.json"}
	if len(files) != len(want) {
		t.Errorf("%d files, want %d", len(files), len(want))
	}
	for _, name := range want {
		if !json.Valid(files[name]) {
			t.Errorf("%s missing or not JSON", name)
		}
	}
	h := handler.Func(echo)
	if _, err := azurefunctions.Files(azurefunctions.HostConfig{}, azurefunctions.EventGrid("A", h), azurefunctions.EventGrid("a", h)); !errors.Is(err, azurefunctions.ErrBadFunction) {
		t.Errorf("duplicate names: %v", err)
	}
}
