package pgstore_test

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fnkit/fnkit/state/pgstore"
)

// New wraps a pgx pool the caller owns; CreateTable makes the one table.
// (This example needs a PostgreSQL server, so it is compiled but not run;
// the package's tests run the same calls against a real one.)
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://postgres@127.0.0.1:5432/postgres")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	store := pgstore.New(pool, pgstore.WithTable("orders_state"))
	if err := store.CreateTable(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := store.Put(ctx, "order-1", []byte(`{"qty":1}`), 0); err != nil {
		fmt.Println(err)
	}
}
