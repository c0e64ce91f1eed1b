package azurefunctions

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
)

// ErrBadFunction is matched by the errors of FunctionJSON and Files for a
// function whose trigger lacks what function.json needs.
var ErrBadFunction = errors.New("azurefunctions: cannot describe function")

// Defaults of HostConfig.
const (
	DefaultExecutable      = "handler"
	DefaultExtensionBundle = "[4.*, 5.0.0)"
)

// HostConfig describes the host.json of a custom-handler app. The zero
// value runs ./handler with request forwarding off and Azure's defaults.
type HostConfig struct {
	// Executable is customHandler.description.defaultExecutablePath; empty
	// means DefaultExecutable.
	Executable string
	// Arguments are the executable's arguments.
	Arguments []string
	// WorkingDirectory is the executable's working directory.
	WorkingDirectory string
	// Forwarding sets customHandler.enableForwardingHttpRequest: HTTP
	// functions then get the client's request itself.
	Forwarding bool
	// RoutePrefix sets extensions.http.routePrefix; empty leaves Azure's
	// "api" (and New's default). Pass the same to WithRoutePrefix.
	RoutePrefix string
	// MaxDequeueCount sets extensions.queues.maxDequeueCount, the
	// deliveries of a Storage Queue message before it moves to the poison
	// queue; zero leaves Azure's 5.
	MaxDequeueCount int
	// FunctionTimeout sets functionTimeout; zero leaves the plan's default.
	FunctionTimeout time.Duration
	// ExtensionBundle is the version range of
	// Microsoft.Azure.Functions.ExtensionBundle; empty means
	// DefaultExtensionBundle.
	ExtensionBundle string
}

// HostJSON returns the host.json of a custom-handler app described by c.
// It fails for a negative MaxDequeueCount or FunctionTimeout.
func HostJSON(c HostConfig) ([]byte, error) {
	if c.MaxDequeueCount < 0 || c.FunctionTimeout < 0 {
		return nil, errors.New("azurefunctions: HostJSON: negative MaxDequeueCount or FunctionTimeout")
	}
	exe := c.Executable
	if exe == "" {
		exe = DefaultExecutable
	}
	desc := map[string]any{"defaultExecutablePath": exe}
	if len(c.Arguments) > 0 {
		desc["arguments"] = c.Arguments
	}
	if c.WorkingDirectory != "" {
		desc["workingDirectory"] = c.WorkingDirectory
	}
	custom := map[string]any{"description": desc}
	if c.Forwarding {
		custom["enableForwardingHttpRequest"] = true
	}
	bundle := c.ExtensionBundle
	if bundle == "" {
		bundle = DefaultExtensionBundle
	}
	host := map[string]any{
		"version":         "2.0",
		"customHandler":   custom,
		"extensionBundle": map[string]any{"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": bundle},
	}
	ext := map[string]any{}
	if c.RoutePrefix != "" {
		ext["http"] = map[string]any{"routePrefix": strings.Trim(c.RoutePrefix, "/")}
	}
	if c.MaxDequeueCount > 0 {
		ext["queues"] = map[string]any{"maxDequeueCount": c.MaxDequeueCount}
	}
	if len(ext) > 0 {
		host["extensions"] = ext
	}
	if c.FunctionTimeout > 0 {
		d := c.FunctionTimeout.Round(time.Second)
		host["functionTimeout"] = fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	}
	return marshal(host)
}

// WithExtraBinding adds binding (an output or input binding, as
// function.json writes it: "type", "direction", "name"…) to the generated
// function.json, for example the queue output that WithOutput names.
func WithExtraBinding(binding map[string]any) FunctionOption {
	for _, k := range []string{"type", "direction", "name"} {
		if s, _ := binding[k].(string); s == "" {
			panic(fmt.Sprintf("azurefunctions: WithExtraBinding: the binding has no %q", k))
		}
	}
	b := maps.Clone(binding)
	return func(c *fnConfig) { c.extra = append(c.extra, b) }
}

// FunctionJSON returns fn's function.json: its trigger binding (with the
// defaults below, then WithBindingProperty's properties), the HTTP output
// of an HTTP function, and WithExtraBinding's bindings.
//
//	Event Grid     eventGridTrigger
//	Storage Queue  queueTrigger, queueName, connection AzureWebJobsStorage
//	Service Bus    serviceBusTrigger, queueName, connection ServiceBusConnection
//	Event Hubs     eventHubTrigger, eventHubName, connection EventHubConnection,
//	               cardinality many, consumerGroup $Default
//	Blob           blobTrigger, path, connection AzureWebJobsStorage
//	Timer          timerTrigger, schedule
//	HTTP           httpTrigger, authLevel function, methods, route; http out "res"
//
// It fails, matching ErrBadFunction, when a queue, hub, path or schedule
// is missing (a Service Bus topic subscription needs topicName and
// subscriptionName).
func FunctionJSON(fn Function) ([]byte, error) {
	bs, err := fn.bindings()
	if err != nil {
		return nil, err
	}
	return marshal(map[string]any{"bindings": bs})
}

func (fn Function) bindings() ([]map[string]any, error) {
	c := &fn.cfg
	t := map[string]any{"direction": "in", "name": c.binding}
	need := func(key, what string) error {
		if fn.target == "" {
			return fmt.Errorf("%w %q: no %s", ErrBadFunction, fn.name, what)
		}
		t[key] = fn.target
		return nil
	}
	var err error
	switch fn.kind {
	case kindEventGrid:
		t["type"] = "eventGridTrigger"
	case kindQueue:
		t["type"], t["connection"] = "queueTrigger", "AzureWebJobsStorage"
		err = need("queueName", "queue name")
	case kindServiceBus:
		t["type"], t["connection"] = "serviceBusTrigger", "ServiceBusConnection"
		if fn.target != "" {
			t["queueName"] = fn.target
		} else if c.props["topicName"] == nil || c.props["subscriptionName"] == nil {
			err = fmt.Errorf("%w %q: no queue name, nor topicName and subscriptionName", ErrBadFunction, fn.name)
		}
	case kindEventHubs:
		t["type"], t["connection"], t["cardinality"], t["consumerGroup"] = "eventHubTrigger", "EventHubConnection", "many", "$Default"
		err = need("eventHubName", "event hub name")
	case kindBlob:
		t["type"], t["connection"] = "blobTrigger", "AzureWebJobsStorage"
		err = need("path", "blob path")
	case kindTimer:
		t["type"] = "timerTrigger"
		err = need("schedule", "schedule")
	case kindHTTP:
		t["type"] = "httpTrigger"
		t["authLevel"] = "function"
		if c.authLevel != "" {
			t["authLevel"] = c.authLevel
		}
		if len(c.methods) > 0 {
			ms := make([]string, len(c.methods))
			for i, m := range c.methods {
				ms[i] = strings.ToLower(m)
			}
			t["methods"] = ms
		}
		if c.route != fn.name {
			t["route"] = c.route
		}
	}
	if err != nil {
		return nil, err
	}
	maps.Copy(t, c.props)
	bs := []map[string]any{t}
	if fn.kind == kindHTTP {
		if c.output == ReturnBinding {
			bs = append(bs, map[string]any{"type": "http", "direction": "out", "name": ReturnBinding})
		} else {
			bs = append(bs, map[string]any{"type": "http", "direction": "out", "name": c.output})
		}
	}
	return append(bs, c.extra...), nil
}

// Files returns the deployment files of a function app: "host.json" and
// "<FunctionName>/function.json" for each of fns, as the Functions host
// reads them from the app's root. It fails on the first function that
// FunctionJSON refuses, or on two functions of the same name.
func Files(host HostConfig, fns ...Function) (map[string][]byte, error) {
	out := map[string][]byte{}
	b, err := HostJSON(host)
	if err != nil {
		return nil, err
	}
	out["host.json"] = b
	seen := map[string]bool{}
	for _, fn := range fns {
		key := strings.ToLower(fn.name)
		if seen[key] {
			return nil, fmt.Errorf("%w %q: two functions of that name", ErrBadFunction, fn.name)
		}
		seen[key] = true
		b, err := FunctionJSON(fn)
		if err != nil {
			return nil, err
		}
		out[fn.name+"/function.json"] = b
	}
	return out, nil
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("azurefunctions: %w", err)
	}
	return append(b, '\n'), nil
}
