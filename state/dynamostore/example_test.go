package dynamostore_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/fnkit/fnkit/state/dynamostore"
)

// New wraps a DynamoDB client the caller owns; CreateTable makes the table.
// (This example needs AWS credentials, so it is compiled but not run; the
// package's tests run the same calls against dynalite.)
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	store := dynamostore.New(dynamodb.NewFromConfig(cfg), "orders-state")
	if err := store.CreateTable(ctx); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := store.Put(ctx, "order-1", []byte(`{"qty":1}`), 0); err != nil {
		fmt.Println(err)
	}
}
