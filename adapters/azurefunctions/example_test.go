package azurefunctions_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/fnkit/fnkit/adapters/azurefunctions"
	"github.com/fnkit/fnkit/handler"
)

// A Storage Queue function: the host posts the invocation to /OnOrder and
// gets the handler's reply as the return value.
func Example() {
	onOrder := handler.Func(func(ctx context.Context, e event.Event) (*event.Event, error) {
		inv, _ := handler.InvocationFrom(ctx)
		fmt.Printf("%s %s attempt %d: %s\n", e.Type(), e.ID(), inv.Attempt, e.Data())
		r := event.New()
		r.SetID("r-" + e.ID())
		r.SetSource("/orders")
		r.SetType("order.accepted")
		_ = r.SetData(event.ApplicationJSON, map[string]bool{"accepted": true})
		return &r, nil
	})
	fns := []azurefunctions.Function{azurefunctions.StorageQueue("OnOrder", "orders", onOrder)}
	h := azurefunctions.New(fns, azurefunctions.WithLogger(slog.New(slog.DiscardHandler)))

	body := `{"Data":{"message":"{\"id\":42}"},"Metadata":{"Id":"\"m-1\"","DequeueCount":"2"}}`
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/OnOrder", strings.NewReader(body)))
	fmt.Println(w.Code, w.Body.String())

	fj, _ := azurefunctions.FunctionJSON(fns[0])
	fmt.Print(string(fj))
	// Output:
	// azure.storage.queue.message m-1 attempt 2: {"id":42}
	// 200 {"Outputs":{},"Logs":[],"ReturnValue":{"accepted":true}}
	// {
	//   "bindings": [
	//     {
	//       "connection": "AzureWebJobsStorage",
	//       "direction": "in",
	//       "name": "message",
	//       "queueName": "orders",
	//       "type": "queueTrigger"
	//     }
	//   ]
	// }
}
