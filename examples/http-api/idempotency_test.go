package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnkit/fnkit/examples/http-api/orders"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fnkit/fnkit/internal/testserver"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/dynamostore"
	"github.com/fnkit/fnkit/state/memstore"
)

func TestMain(m *testing.M) { testserver.Main(m) }

const orderBody = `{"customer":"ada@example.com","items":[{"sku":"tea","qty":2}]}`

// checkIdempotentCreate: retries of one POST (same Idempotency-Key), even
// concurrent ones, create one order and all get it.
func checkIdempotentCreate(t *testing.T, base string) {
	t.Helper()
	key := "key-" + strings.ReplaceAll(t.Name(), "/", "-")
	first := post(t, base+"/orders", key, orderBody)
	if first.status != 200 {
		t.Fatalf("create: %d %s", first.status, first.body)
	}
	var o orders.Order
	if err := json.Unmarshal([]byte(first.body), &o); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan httpResult, 20)
	for range 20 {
		wg.Go(func() { results <- post(t, base+"/orders", key, orderBody) })
	}
	wg.Wait()
	close(results)
	for r := range results {
		if r.status != 200 || r.body != first.body {
			t.Fatalf("retry: %d %s, want the first answer %s", r.status, r.body, first.body)
		}
	}
	// The same key with another order is refused.
	if r := post(t, base+"/orders", key, `{"customer":"bob@example.com","items":[{"sku":"tea","qty":1}]}`); r.status != 400 ||
		!strings.Contains(r.body, "different payload") {
		t.Fatalf("reused key: %d %s", r.status, r.body)
	}
	// Without a key each POST is a new order.
	a, b := post(t, base+"/orders", "", orderBody), post(t, base+"/orders", "", orderBody)
	if a.body == b.body {
		t.Fatal("two POSTs without a key made the same order")
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/orders/"+o.ID, nil)
	if r := send(t, req); r.status != 200 {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
}

// TestConcurrentDuplicatesGetTheFirstAnswer: 50 identical POSTs sent at
// once all get the first order's answer (none is told to come back in five
// minutes); one order is created.
func TestConcurrentDuplicatesGetTheFirstAnswer(t *testing.T) {
	store := &orderCounter{Store: memstore.New()}
	base := startAPI(t, store)
	results := make([]httpResult, 50)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Go(func() {
			<-start
			results[i] = post(t, base+"/orders", "same-key", orderBody)
		})
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		if r.status != 200 || r.body != results[0].body {
			t.Fatalf("POST %d: %d %s, want the first answer %d %s", i, r.status, r.body, results[0].status, results[0].body)
		}
	}
	if n := store.created.Load(); n != 1 {
		t.Fatalf("%d orders created, want 1", n)
	}
}

// orderCounter counts the orders created in a store.
type orderCounter struct {
	state.Store
	created atomic.Int64
}

func (c *orderCounter) Create(ctx context.Context, k string, v []byte, ttl time.Duration) (state.Item, error) {
	it, err := c.Store.Create(ctx, k, v, ttl)
	if err == nil && strings.HasPrefix(k, "orders/") {
		c.created.Add(1)
	}
	return it, err
}

func TestIdempotentCreate(t *testing.T) {
	store := memstore.New()
	base := startAPI(t, store)
	checkIdempotentCreate(t, base)
}

// TestStoresFromEnv runs the API on every store storeFromEnv can open, on
// the real servers.
func TestStoresFromEnv(t *testing.T) {
	tests := map[string]func(t *testing.T) map[string]string{
		"bolt": func(t *testing.T) map[string]string {
			return map[string]string{"ORDERS_BOLT_PATH": t.TempDir() + "/o.db"}
		},
		"memory": func(t *testing.T) map[string]string { return nil },
		"redis": func(t *testing.T) map[string]string {
			return map[string]string{"ORDERS_STORE": "redis", "REDIS_ADDR": testserver.Redis(t).Addr}
		},
		"postgres": func(t *testing.T) map[string]string {
			return map[string]string{"ORDERS_STORE": "postgres", "DATABASE_URL": testserver.Postgres(t).DSN}
		},
	}
	for name, env := range tests {
		t.Run(name, func(t *testing.T) {
			vars := env(t)
			if name == "memory" {
				vars = map[string]string{"ORDERS_STORE": "memory"}
			}
			store, closeStore, err := storeFromEnv(context.Background(), func(k string) string { return vars[k] })
			if err != nil {
				t.Fatal(err)
			}
			defer closeStore()
			checkIdempotentCreate(t, startAPI(t, store))
		})
	}
	t.Run("dynamodb", func(t *testing.T) {
		// storeFromEnv uses the AWS SDK's default configuration; here the
		// same store is built by hand against dynalite.
		c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(testserver.Dynalite(t).Endpoint),
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
		s := dynamostore.New(c, "fnkit-orders")
		if err := s.CreateTable(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkIdempotentCreate(t, startAPI(t, state.Store(s)))
	})
	t.Run("dynamodb via env", func(t *testing.T) {
		vars := map[string]string{"ORDERS_STORE": "dynamodb", "DYNAMODB_TABLE": "orders-env"}
		t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", testserver.Dynalite(t).Endpoint)
		t.Setenv("AWS_REGION", "us-east-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "test")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		store, closeStore, err := storeFromEnv(context.Background(), func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		defer closeStore()
		checkIdempotentCreate(t, startAPI(t, store))
	})
	if _, _, err := storeFromEnv(context.Background(), func(k string) string {
		return map[string]string{"ORDERS_STORE": "mongo"}[k]
	}); err == nil || !strings.Contains(err.Error(), "unknown ORDERS_STORE") {
		t.Fatalf("unknown store: %v", err)
	}
}
