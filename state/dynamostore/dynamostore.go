// Package dynamostore is a state.Store on Amazon DynamoDB, through
// aws-sdk-go-v2.
//
// Items live in one table whose partition key "k" is binary, so keys may
// hold any bytes. An item has its value "v" (binary; absent when empty), a
// version "ver", and, with a TTL, a precise expiry "exp" in Unix
// milliseconds plus "ttl" in Unix seconds for DynamoDB's own TTL deletion
// (enable it on the table's "ttl" attribute; see CreateTable). DynamoDB
// deletes expired items only within days, so every read and condition
// also checks "exp" against this process's clock: an expired item is never
// returned and Create overwrites it as if absent.
//
// Writes are conditional PutItem and DeleteItem calls, one round trip each.
// When a Create finds a live item, DynamoDB returns it with the failed
// condition (ReturnValuesOnConditionCheckFailure); servers that do not
// (dynalite) cost one more read. Versions are random (state.NewVersion).
// Items are limited to DynamoDB's 400 KB.
package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fnkit/fnkit/state"
)

// Attribute names.
const (
	attrKey     = "k"
	attrValue   = "v"
	attrVersion = "ver"
	attrExpiry  = "exp"
	attrTTL     = "ttl"
)

// Option configures New.
type Option func(*config)

type config struct {
	now func() time.Time
}

// WithClock sets the clock used for expiry; the default is time.Now.
func WithClock(now func() time.Time) Option {
	if now == nil {
		panic("dynamostore: WithClock(nil)")
	}
	return func(c *config) { c.now = now }
}

// Store is a state.Store on a DynamoDB table. It is safe for concurrent use.
type Store struct {
	client *dynamodb.Client
	table  string
	now    func() time.Time
}

var _ state.Store = (*Store)(nil)

// New returns a Store on table through client, which the caller owns. The
// table must exist (see CreateTable). It panics if client is nil or table
// is empty.
func New(client *dynamodb.Client, table string, opts ...Option) *Store {
	if client == nil || table == "" {
		panic("dynamostore: New needs a client and a table name")
	}
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	return &Store{client: client, table: table, now: c.now}
}

// CreateTable creates the table (on-demand capacity) if it does not exist,
// waits until it is active, and enables DynamoDB's TTL on the "ttl"
// attribute. Servers without UpdateTimeToLive (dynalite) are tolerated:
// expiry never depends on it.
func (s *Store) CreateTable(ctx context.Context) error {
	_, err := s.client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(s.table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(attrKey), AttributeType: types.ScalarAttributeTypeB}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(attrKey), KeyType: types.KeyTypeHash}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamostore: creating table %s: %w", s.table, err)
	}
	w := dynamodb.NewTableExistsWaiter(s.client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}, 2*time.Minute); err != nil {
		return fmt.Errorf("dynamostore: waiting for table %s: %w", s.table, err)
	}
	_, err = s.client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(s.table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)},
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("dynamostore: enabling TTL on %s: %w", s.table, err)
	}
	// Other errors (TTL already enabled, or no UpdateTimeToLive on this
	// server) leave expiry correct: it is checked on every read.
	return nil
}

func check(ctx context.Context, key string, ttl time.Duration) error {
	if err := state.CheckArgs(ctx, key, ttl); err != nil {
		return fmt.Errorf("dynamostore: %w", err)
	}
	return nil
}

func wrap(op, key string, err error) error {
	return fmt.Errorf("dynamostore: %s %q: %w", op, key, err)
}

func keyAttr(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberB{Value: []byte(key)}}
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// record builds the attributes of a write.
func (s *Store) record(key string, v state.Version, value []byte, ttl time.Duration) (map[string]types.AttributeValue, time.Time) {
	m := keyAttr(key)
	m[attrVersion] = num(int64(v))
	if len(value) > 0 {
		m[attrValue] = &types.AttributeValueMemberB{Value: value}
	}
	exp := state.ExpiresAt(s.now(), ttl)
	if !exp.IsZero() {
		m[attrExpiry] = num(exp.UnixMilli())
		m[attrTTL] = num(exp.Unix() + 1)
	}
	return m, exp
}

// decode turns attributes into an item; ok is false if the item has
// expired at now.
func decode(m map[string]types.AttributeValue, now time.Time) (it state.Item, ok bool, err error) {
	ver, ok := m[attrVersion].(*types.AttributeValueMemberN)
	if !ok {
		return it, false, errors.New("dynamostore: item without a version")
	}
	n, err := strconv.ParseInt(ver.Value, 10, 64)
	if err != nil {
		return it, false, fmt.Errorf("dynamostore: bad version %q", ver.Value)
	}
	it.Version = state.Version(n)
	if v, ok := m[attrValue].(*types.AttributeValueMemberB); ok {
		it.Value = v.Value
	} else {
		it.Value = []byte{}
	}
	if e, ok := m[attrExpiry].(*types.AttributeValueMemberN); ok {
		ms, err := strconv.ParseInt(e.Value, 10, 64)
		if err != nil {
			return it, false, fmt.Errorf("dynamostore: bad expiry %q", e.Value)
		}
		it.ExpiresAt = time.UnixMilli(ms)
		if !it.ExpiresAt.After(now) {
			return it, false, nil
		}
	}
	return it, true, nil
}

// The condition that an item is live, with :now in Unix milliseconds.
const liveCond = "(attribute_not_exists(" + attrExpiry + ") OR " + attrExpiry + " > :now)"

// Get returns the live item at key, or state.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (state.Item, error) {
	if err := check(ctx, key, 0); err != nil {
		return state.Item{}, err
	}
	return s.get(ctx, "get", key)
}

func (s *Store) get(ctx context.Context, op, key string) (state.Item, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: keyAttr(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return state.Item{}, wrap(op, key, err)
	}
	if out.Item == nil {
		return state.Item{}, state.ErrNotFound
	}
	it, live, err := decode(out.Item, s.now())
	if err != nil {
		return state.Item{}, err
	}
	if !live {
		return state.Item{}, state.ErrNotFound
	}
	return it, nil
}

// conditionFailed returns the item a failed condition reported, if any.
func conditionFailed(err error) (map[string]types.AttributeValue, bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}

// Create stores value at key if no live item has it; otherwise it returns
// the existing item and state.ErrAlreadyExists.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Item, error) {
	if err := check(ctx, key, ttl); err != nil {
		return state.Item{}, err
	}
	v := state.NewVersion()
	for attempt := 0; ; attempt++ {
		m, exp := s.record(key, v, value, ttl)
		now := s.now()
		_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName:                           aws.String(s.table),
			Item:                                m,
			ConditionExpression:                 aws.String("attribute_not_exists(" + attrKey + ") OR " + attrExpiry + " <= :now"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":now": num(now.UnixMilli())},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			return state.Item{Version: v, Value: append([]byte{}, value...), ExpiresAt: exp}, nil
		}
		old, failed := conditionFailed(err)
		if !failed {
			return state.Item{}, wrap("create", key, err)
		}
		if old != nil {
			it, live, derr := decode(old, now)
			if derr != nil {
				return state.Item{}, derr
			}
			if live {
				return it, state.ErrAlreadyExists
			}
		} else {
			// The server did not return the item: read it.
			it, gerr := s.get(ctx, "create", key)
			if gerr == nil {
				return it, state.ErrAlreadyExists
			}
			if !errors.Is(gerr, state.ErrNotFound) {
				return state.Item{}, gerr
			}
		}
		if attempt >= 10 {
			return state.Item{}, wrap("create", key, errors.New("the item changed under every attempt"))
		}
	}
}

// Put stores value at key whatever is there.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, err
	}
	v := state.NewVersion()
	m, _ := s.record(key, v, value, ttl)
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: m}); err != nil {
		return 0, wrap("put", key, err)
	}
	return v, nil
}

// CompareAndSwap replaces the item at key if its version is old.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old state.Version, value []byte, ttl time.Duration) (state.Version, error) {
	if err := check(ctx, key, ttl); err != nil {
		return 0, err
	}
	v := state.NewVersion()
	m, _ := s.record(key, v, value, ttl)
	now := s.now()
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.table),
		Item:                                m,
		ConditionExpression:                 aws.String(attrVersion + " = :old AND " + liveCond),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":old": num(int64(old)), ":now": num(now.UnixMilli())},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return v, nil
	}
	if cur, failed := conditionFailed(err); failed {
		return 0, s.whyFailed(ctx, "compare-and-swap", key, cur, now)
	}
	return 0, wrap("compare-and-swap", key, err)
}

// whyFailed tells not-found from conflict after a failed condition.
func (s *Store) whyFailed(ctx context.Context, op, key string, cur map[string]types.AttributeValue, now time.Time) error {
	if cur == nil {
		if _, err := s.get(ctx, op, key); err != nil {
			return err // state.ErrNotFound, or a read failure
		}
		return state.ErrVersionConflict
	}
	_, live, err := decode(cur, now)
	if err != nil {
		return err
	}
	if !live {
		return state.ErrNotFound
	}
	return state.ErrVersionConflict
}

// Delete removes the item at key, unconditionally with state.AnyVersion.
func (s *Store) Delete(ctx context.Context, key string, version state.Version) error {
	if err := check(ctx, key, 0); err != nil {
		return err
	}
	in := &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: keyAttr(key)}
	now := s.now()
	if version != state.AnyVersion {
		in.ConditionExpression = aws.String(attrVersion + " = :old AND " + liveCond)
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":old": num(int64(version)), ":now": num(now.UnixMilli())}
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	_, err := s.client.DeleteItem(ctx, in)
	if err == nil {
		return nil
	}
	if cur, failed := conditionFailed(err); failed {
		return s.whyFailed(ctx, "delete", key, cur, now)
	}
	return wrap("delete", key, err)
}
