package events_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fnkit/fnkit/events"
	"github.com/fnkit/fnkit/handler"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gcp", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

func TestFromBackground(t *testing.T) {
	cases := []struct {
		file, id, source, typ, subject, time string
		data                                 string // expected data, JSON; "" = unchanged
	}{
		{"legacy_pubsub.json", "1215011316659232", "//pubsub.googleapis.com/projects/sample-project/topics/gcf-test",
			events.TypePubSubMessagePublished, "", "2020-05-18T12:13:19.209Z",
			`{"message":{"@type":"type.googleapis.com/google.pubsub.v1.PubsubMessage","attributes":{"attr1":"attr1-value"},
			"data":"dGVzdCBtZXNzYWdlIDM=","messageId":"1215011316659232","publishTime":"2020-05-18T12:13:19.209Z"}}`},
		{"legacy_pubsub_flat.json", "1215011316659232", "//pubsub.googleapis.com/projects/sample-project/topics/gcf-test",
			events.TypePubSubMessagePublished, "", "2020-05-18T12:13:19Z",
			`{"message":{"@type":"type.googleapis.com/google.pubsub.v1.PubsubMessage","attributes":{"attribute1":"value1"},
			"data":"VGhpcyBpcyBhIHNhbXBsZSBtZXNzYWdl","messageId":"1215011316659232","publishTime":"2020-05-18T12:13:19Z"}}`},
		{"legacy_storage.json", "1147091835525187", "//storage.googleapis.com/projects/_/buckets/some-bucket",
			events.TypeStorageObjectFinalized, "objects/folder/Test.cs", "2020-04-23T07:38:57.772Z", ""},
		{"legacy_storage_change.json", "1147091835525187", "//storage.googleapis.com/projects/_/buckets/some-bucket",
			events.TypeStorageObjectFinalized, "objects/folder/Test.cs", "2020-04-23T07:38:57.772Z", ""},
		{"legacy_firestore.json", "7b8f1804-d38b-4b68-b37d-e2fb5d12d5a0-0", "//firestore.googleapis.com/projects/project-id/databases/(default)",
			events.TypeFirestoreDocumentWritten, "documents/gcf-test/2Vm2mI1d0wIaK2Waj5to", "2020-09-24T10:38:40.098Z", ""},
		{"legacy_firebase_auth.json", "aaaaaa-1111-bbbb-2222-cccccccccccc", "//firebaseauth.googleapis.com/projects/my-project-id",
			events.TypeFirebaseAuthUserCreated, "users/UUpby3s4spZre6kHsgVSPetzQ8l2", "2020-09-29T11:32:00Z",
			`{"email":"test@nowhere.com","metadata":{"createTime":"2020-05-26T10:42:27.088Z","lastSignInTime":"2020-10-24T11:00:00.000Z"},
			"providerData":[{"email":"test@nowhere.com","providerId":"password","uid":"test@nowhere.com"}],"uid":"UUpby3s4spZre6kHsgVSPetzQ8l2"}`},
		{"legacy_firebase_db.json", "aaaaaa-1111-bbbb-2222-cccccccccccc",
			"//firebasedatabase.googleapis.com/projects/_/locations/europe-west1/instances/my-project-id",
			events.TypeFirebaseDatabaseWritten, "refs/gcf-test/xyz", "2020-09-29T11:32:00Z", ""},
		{"legacy_firebase_db_default.json", "bbbbbb-1111-bbbb-2222-cccccccccccc",
			"//firebasedatabase.googleapis.com/projects/_/locations/us-central1/instances/my-project-id",
			events.TypeFirebaseDatabaseCreated, "refs/gcf-test/xyz", "2020-09-29T11:32:00Z", ""},
		{"legacy_firebase_analytics.json", "cccccc-1111-bbbb-2222-cccccccccccc", "//firebase.googleapis.com/projects/my-project-id",
			events.TypeFirebaseAnalyticsLog, "events/session_start", "2020-09-29T11:32:00Z", ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body := sample(t, c.file)
			if !events.IsBackground(body) {
				t.Fatal("IsBackground = false")
			}
			e, err := events.FromBackground(body)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := time.Parse(time.RFC3339Nano, c.time)
			got := map[string]any{"id": e.ID(), "source": e.Source(), "type": e.Type(), "subject": e.Subject(),
				"time": e.Time().UTC(), "specversion": e.SpecVersion(), "datacontenttype": e.DataContentType()}
			exp := map[string]any{"id": c.id, "source": c.source, "type": c.typ, "subject": c.subject,
				"time": want.UTC(), "specversion": "1.0", "datacontenttype": "application/json"}
			for k := range exp {
				if got[k] != exp[k] {
					t.Errorf("%s = %v, want %v", k, got[k], exp[k])
				}
			}
			wantData := c.data
			if wantData == "" {
				var env map[string]json.RawMessage
				_ = json.Unmarshal(body, &env)
				wantData = string(env["data"])
			}
			if !jsonEqual(t, e.Data(), []byte(wantData)) {
				t.Errorf("data = %s\nwant %s", e.Data(), wantData)
			}
		})
	}
}

func TestFromBackgroundBadInput(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"not JSON":          {`{"context":`, "malformed JSON"},
		"array":             {`[1,2]`, "malformed JSON"},
		"missing context":   {`{"data":{"a":1}}`, `missing "context"`},
		"missing data":      {`{"context":{"eventId":"1","eventType":"google.storage.object.finalize","resource":"projects/_/buckets/b/objects/o"}}`, `missing "data"`},
		"null data":         {`{"eventId":"1","eventType":"google.storage.object.finalize","resource":"projects/_/buckets/b/objects/o","data":null}`, `missing "data"`},
		"missing id":        {`{"context":{"eventType":"google.storage.object.finalize","resource":"projects/_/buckets/b/objects/o"},"data":{}}`, "missing context eventId"},
		"missing type":      {`{"context":{"eventId":"1","resource":"r"},"data":{}}`, "missing context eventType"},
		"unknown type":      {`{"context":{"eventId":"1","eventType":"google.compute.instance.create","resource":"r"},"data":{}}`, "unknown legacy event type"},
		"bad timestamp":     {`{"context":{"eventId":"1","timestamp":"yesterday","eventType":"google.storage.object.finalize","resource":"projects/_/buckets/b/objects/o"},"data":{}}`, "not an RFC 3339 time"},
		"missing resource":  {`{"context":{"eventId":"1","eventType":"google.storage.object.finalize"},"data":{}}`, "missing context resource"},
		"numeric resource":  {`{"context":{"eventId":"1","eventType":"google.storage.object.finalize","resource":42},"data":{}}`, "context resource must be"},
		"storage resource":  {`{"context":{"eventId":"1","eventType":"google.storage.object.finalize","resource":"projects/_/buckets/b"},"data":{}}`, "does not match projects/_/buckets/BUCKET/objects/NAME"},
		"pubsub data array": {`{"context":{"eventId":"1","eventType":"google.pubsub.topic.publish","resource":"projects/p/topics/t"},"data":[1]}`, "must be a JSON object"},
		"pubsub bad base64": {`{"context":{"eventId":"1","eventType":"google.pubsub.topic.publish","resource":"projects/p/topics/t"},"data":{"data":"!!!"}}`, "not valid base64"},
		"db no domain":      {`{"eventId":"1","eventType":"providers/google.firebase.database/eventTypes/ref.write","resource":"projects/_/instances/i/refs/r","data":{}}`, "has no location"},
		"auth data string":  {`{"eventId":"1","eventType":"providers/firebase.auth/eventTypes/user.create","resource":"projects/p","data":"x"}`, "must be a JSON object"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := events.FromBackground([]byte(c.body))
			if err == nil {
				t.Fatal("FromBackground succeeded")
			}
			if handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Errorf("class %v, want invalid input", handler.ClassOf(err))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	_, err := events.FromBackground([]byte(`{"eventId":"1","eventType":"x.y","resource":"r","data":{}}`))
	if !errors.Is(err, events.ErrUnknownBackgroundType) {
		t.Errorf("unknown type: %v does not match ErrUnknownBackgroundType", err)
	}
	if events.IsBackground([]byte(`{"message":{},"subscription":"s"}`)) || events.IsBackground([]byte(`nope`)) {
		t.Error("IsBackground accepted a non-background body")
	}
}

func TestFromPubSubPush(t *testing.T) {
	body := sample(t, "pubsub_push.json")
	if !events.IsPubSubPush(body) || events.IsBackground(body) {
		t.Fatal("IsPubSubPush/IsBackground misclassify a push delivery")
	}
	topic := events.TopicFromPath("/push/projects/my-project/topics/uploads?x=1")
	if topic != "projects/my-project/topics/uploads" {
		t.Fatalf("TopicFromPath = %q", topic)
	}
	e, attempt, err := events.FromPubSubPush(body, topic)
	if err != nil {
		t.Fatal(err)
	}
	if attempt != 3 {
		t.Errorf("attempt = %d, want 3", attempt)
	}
	if e.ID() != "2070443601311540" || e.Source() != "//pubsub.googleapis.com/projects/my-project/topics/uploads" ||
		e.Type() != events.TypePubSubMessagePublished || e.DataContentType() != "application/json" ||
		!e.Time().Equal(time.Date(2021, 2, 26, 19, 13, 55, 749000000, time.UTC)) || e.Subject() != "" {
		t.Errorf("event %s", e)
	}
	var env map[string]json.RawMessage
	_ = json.Unmarshal(body, &env)
	want := `{"message":` + string(env["message"]) + `,"subscription":"projects/my-project/subscriptions/my-push-sub"}`
	if !jsonEqual(t, e.Data(), []byte(want)) {
		t.Errorf("data = %s\nwant %s", e.Data(), want)
	}
	var d events.PubSubMessagePublishedData
	if err := json.Unmarshal(e.Data(), &d); err != nil {
		t.Fatal(err)
	}
	if string(d.Message.Data) != `{"name":"photos/cat.png","bucket":"uploads"}` || d.Message.Attributes["objectId"] != "photos/cat.png" ||
		d.Message.OrderingKey != "uploads" || d.Subscription != "projects/my-project/subscriptions/my-push-sub" || d.Message.MessageID != "2070443601311540" {
		t.Errorf("typed data %+v", d)
	}

	// Without a topic, the subscription is the source.
	e, _, err = events.FromPubSubPush(body, "")
	if err != nil || e.Source() != "//pubsub.googleapis.com/projects/my-project/subscriptions/my-push-sub" {
		t.Fatalf("without topic: %v, %v", e.Source(), err)
	}
	// The legacy conversion of the same message agrees on the typed data.
	legacy, err := events.FromBackground(sample(t, "legacy_pubsub.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ld events.PubSubMessagePublishedData
	if err := json.Unmarshal(legacy.Data(), &ld); err != nil || string(ld.Message.Data) != "test message 3" || ld.Message.MessageID != legacy.ID() {
		t.Fatalf("legacy typed data %+v, %v", ld, err)
	}
}

func TestFromPubSubPushBadInput(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"not JSON":         {`{"message":`, "malformed JSON"},
		"no message":       {`{"subscription":"s"}`, `missing "message"`},
		"message string":   {`{"message":"x","subscription":"s"}`, "message:"},
		"no id":            {`{"message":{"data":"eA=="},"subscription":"s"}`, "missing message.messageId"},
		"bad base64":       {`{"message":{"messageId":"1","data":"not base64!"},"subscription":"s"}`, "message.data is not valid base64"},
		"data number":      {`{"message":{"messageId":"1","data":5},"subscription":"s"}`, "message:"},
		"bad attributes":   {`{"message":{"messageId":"1","attributes":{"a":1}},"subscription":"s"}`, "message:"},
		"bad publish time": {`{"message":{"messageId":"1","publishTime":"noon"},"subscription":"s"}`, "publishTime"},
		"negative attempt": {`{"message":{"messageId":"1"},"subscription":"s","deliveryAttempt":-1}`, "negative"},
		"no source":        {`{"message":{"messageId":"1"}}`, "needs a source"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := events.FromPubSubPush([]byte(c.body), "")
			if err == nil {
				t.Fatal("FromPubSubPush succeeded")
			}
			if handler.ClassOf(err) != handler.ClassInvalidInput {
				t.Errorf("class %v, want invalid input", handler.ClassOf(err))
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "handler: invalid input: events: Pub/Sub push") {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	// message_id and publish_time alone are accepted.
	e, _, err := events.FromPubSubPush([]byte(`{"message":{"message_id":"7","publish_time":"2021-01-01T00:00:00Z","data":"eA"},"subscription":"projects/p/subscriptions/s"}`), "")
	if err != nil || e.ID() != "7" || e.Time().Year() != 2021 {
		t.Fatalf("snake-case fields: %v, %v", e, err)
	}
}

func TestGCPTypedData(t *testing.T) {
	e, err := events.FromBackground(sample(t, "legacy_storage.json"))
	if err != nil {
		t.Fatal(err)
	}
	var obj events.StorageObjectData
	if err := json.Unmarshal(e.Data(), &obj); err != nil {
		t.Fatal(err)
	}
	if obj.Bucket != "some-bucket" || obj.Name != "folder/Test.cs" || obj.Generation != 1587627537231057 || obj.Size != 352 ||
		obj.Metageneration != 1 || obj.Metadata["uploader"] != "fnkit" || obj.TimeCreated.IsZero() || obj.ContentType != "text/plain" {
		t.Errorf("storage data %+v", obj)
	}

	e, err = events.FromBackground(sample(t, "legacy_firestore.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc events.FirestoreDocumentEventData
	if err := json.Unmarshal(e.Data(), &doc); err != nil {
		t.Fatal(err)
	}
	v := doc.Value.Fields
	if *v["count"].IntegerValue != 4 || *doc.OldValue.Fields["count"].IntegerValue != 3 || *v["foo"].StringValue != "bar" ||
		!v["gone"].IsNull() || v["foo"].IsNull() || !*v["tags"].ArrayValue.Values[1].BooleanValue ||
		v["where"].GeoPointValue.Latitude != 51.5 || *v["nested"].MapValue.Fields["n"].DoubleValue != 1.5 ||
		!reflect.DeepEqual(doc.UpdateMask.FieldPaths, []string{"count"}) {
		t.Errorf("firestore data %+v", doc)
	}

	var audit events.AuditLogData
	if err := json.Unmarshal(sample(t, "eventarc_auditlog.json"), &audit); err != nil {
		t.Fatal(err)
	}
	if audit.ProtoPayload.MethodName != "storage.objects.create" || audit.ProtoPayload.AuthenticationInfo.PrincipalEmail == "" ||
		audit.Resource.Labels["bucket_name"] != "uploads" || audit.ProtoPayload.RequestMetadata.CallerIP != "8.8.8.8" ||
		!audit.ProtoPayload.AuthorizationInfo[0].Granted || audit.Timestamp.IsZero() {
		t.Errorf("audit data %+v", audit)
	}

	var n events.Int64
	for in, want := range map[string]int64{`"12"`: 12, `13`: 13, `null`: 0, `"-9223372036854775808"`: -1 << 63} {
		n = 0
		if err := json.Unmarshal([]byte(in), &n); err != nil || int64(n) != want {
			t.Errorf("Int64 from %s = %d, %v", in, n, err)
		}
	}
	for _, bad := range []string{`"x"`, `1.5`, `"99999999999999999999"`, `true`} {
		if err := json.Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("Int64 from %s succeeded", bad)
		}
	}
	if b, _ := json.Marshal(events.Int64(5)); string(b) != `"5"` {
		t.Errorf("Int64 marshals to %s", b)
	}
}
