package idempotency

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/fnkit/fnkit/internal/testserver"
	"github.com/fnkit/fnkit/state"
	"github.com/fnkit/fnkit/state/boltstore"
	"github.com/fnkit/fnkit/state/dynamostore"
	"github.com/fnkit/fnkit/state/memstore"
	"github.com/fnkit/fnkit/state/pgstore"
	"github.com/fnkit/fnkit/state/redisstore"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// backends are every state.Store implementation, on real servers where
// they have one.
var backends = []struct {
	name string
	open func(t *testing.T) state.Store
}{
	{"memstore", func(t *testing.T) state.Store { return memstore.New() }},
	{"boltstore", func(t *testing.T) state.Store {
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "idem.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"redisstore", func(t *testing.T) state.Store { return redisStore(t) }},
	{"pgstore", func(t *testing.T) state.Store {
		p, err := pgxpool.New(context.Background(), testserver.Postgres(t).DSN+"&pool_max_conns=20")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		s := pgstore.New(p, pgstore.WithTable("idempotency"))
		if err := s.CreateTable(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{"dynamostore", func(t *testing.T) state.Store {
		c := dynamodb.New(dynamodb.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(testserver.Dynalite(t).Endpoint),
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		})
		s := dynamostore.New(c, "idempotency")
		if err := s.CreateTable(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

func redisStore(t testing.TB) *redisstore.Store {
	c := redis.NewClient(&redis.Options{Addr: testserver.Redis(t).Addr, MaxRetries: -1, PoolSize: 50})
	t.Cleanup(func() { c.Close() })
	return redisstore.New(c, redisstore.WithPrefix(t.Name()+":"))
}

func redisBenchStore(b *testing.B) *redisstore.Store { return redisStore(b) }
