package dynamostore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fnkit/fnkit/internal/testserver"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/storetest"
)

func TestMain(m *testing.M) { testserver.Main(m) }

func client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	srv := testserver.Dynalite(tb)
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func newStore(tb testing.TB, table string, opts ...Option) *Store {
	tb.Helper()
	s := New(client(tb), table, opts...)
	if err := s.CreateTable(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	s := newStore(t, "conformance")
	storetest.Run(t, func(t *testing.T) state.Store { return s }, storetest.WithMaxValueSize(350<<10))
}

func TestConformanceWithClock(t *testing.T) {
	clk := storetest.NewClock()
	s := newStore(t, "clock", WithClock(clk.Now))
	storetest.Run(t, func(t *testing.T) state.Store { return s }, storetest.WithClock(clk), storetest.WithMaxValueSize(350<<10))
}

// DynamoDB deletes expired items late: an item past its "exp" that is
// still in the table must behave as absent.
func TestExpiredButPresent(t *testing.T) {
	clk := storetest.NewClock()
	s := newStore(t, "expired", WithClock(clk.Now))
	ctx := context.Background()
	if _, err := s.Put(ctx, "k", []byte("old"), time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute)
	raw, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("expired"), Key: keyAttr("k")})
	if err != nil || raw.Item == nil {
		t.Fatalf("the expired item should still be stored: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get of an expired item: %v", err)
	}
	if _, err := s.CompareAndSwap(ctx, "k", 1, []byte("x"), 0); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("CompareAndSwap of an expired item: %v", err)
	}
	it, err := s.Create(ctx, "k", []byte("new"), 0)
	if err != nil || string(it.Value) != "new" {
		t.Fatalf("Create over an expired item: %v", err)
	}
}

func TestCreateTableIsIdempotent(t *testing.T) {
	s := newStore(t, "twice")
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPanicsOnWiringMistakes(t *testing.T) {
	for name, f := range map[string]func(){
		"nil client":  func() { New(nil, "t") },
		"empty table": func() { New(&dynamodb.Client{}, "") },
		"nil clock":   func() { WithClock(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, newStore(b, "bench"))
}
