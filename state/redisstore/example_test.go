package redisstore_test

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/fnkit/fnkit/state/redisstore"
)

// New wraps a go-redis client the caller owns. (This example needs a Redis
// server, so it is compiled but not run; the package's tests run the same
// calls against a real one.)
func Example() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	store := redisstore.New(client, redisstore.WithPrefix("orders:"))

	ctx := context.Background()
	item, err := store.Create(ctx, "order-1", []byte(`{"qty":1}`), 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := store.CompareAndSwap(ctx, "order-1", item.Version, []byte(`{"qty":2}`), 0); err != nil {
		fmt.Println(err)
	}
}
