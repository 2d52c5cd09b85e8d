package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/store/storetest"
)

func kfakeOpts(t *testing.T) []kgo.Opt {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(-1))
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return []kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}
}

func newTopic(t *testing.T, opts []kgo.Opt, name string, partitions int32) {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := store.EnsureTopic(ctx, kadm.NewClient(cl), store.Topic{Name: name, Partitions: partitions, ReplicationFactor: 1, SinglePartition: partitions == 1}); err != nil {
		t.Fatalf("EnsureTopic: %v", err)
	}
}

func TestKafkaConfigs(t *testing.T) {
	storetest.TestConfigs(t, func(t *testing.T) (store.Configs, func(*testing.T) store.Configs) {
		opts := kfakeOpts(t)
		newTopic(t, opts, "configs", 1)
		open := func(t *testing.T) store.Configs {
			s, err := store.NewKafkaConfigs(t.Context(), opts, "configs", nil)
			if err != nil {
				t.Fatalf("NewKafkaConfigs: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		return open(t), open
	})
}

func TestKafkaOffsets(t *testing.T) {
	storetest.TestOffsets(t, func(t *testing.T) (store.Offsets, func(*testing.T) store.Offsets) {
		opts := kfakeOpts(t)
		newTopic(t, opts, "offsets", 5)
		open := func(t *testing.T) store.Offsets {
			s, err := store.NewKafkaOffsets(t.Context(), opts, "offsets")
			if err != nil {
				t.Fatalf("NewKafkaOffsets: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		return open(t), open
	})
}

// A second store on the same topic sees the first one's writes after Sync,
// and the records are in Kafka Connect's formats.
func TestKafkaConfigsShared(t *testing.T) {
	opts := kfakeOpts(t)
	newTopic(t, opts, "configs", 1)
	ctx := t.Context()
	a, err := store.NewKafkaConfigs(ctx, opts, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.NewKafkaConfigs(ctx, opts, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c := store.Connector{Name: "x", Config: map[string]string{"connector.class": "file"}, Target: store.TargetStopped,
		Tasks: []map[string]string{{"file": "a"}}}
	if err := a.Put(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, ok, err := b.Get(ctx, "x")
	if err != nil || !ok || got.Target != store.TargetStopped || len(got.Tasks) != 1 || got.Tasks[0]["file"] != "a" {
		t.Fatalf("b.Get = %+v %v %v", got, ok, err)
	}
	cl, _ := kgo.NewClient(append(opts, kgo.ConsumeTopics("configs"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	defer cl.Close()
	want := map[string]string{
		"connector-x":    `{"properties":{"connector.class":"file"}}`,
		"task-x-0":       `{"properties":{"file":"a"}}`,
		"commit-x":       `{"tasks":1}`,
		"target-state-x": `{"state":"PAUSED","state.v2":"STOPPED"}`,
	}
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			if w, ok := want[string(r.Key)]; ok {
				if string(r.Value) != w {
					t.Errorf("%s = %s, want %s", r.Key, r.Value, w)
				}
				delete(want, string(r.Key))
			}
		})
	}
}

// Offsets written by Kafka Connect (keys in another field order) are read,
// and ours use the ["connector",{partition}] key.
func TestKafkaOffsetsKafkaConnectKeys(t *testing.T) {
	opts := kfakeOpts(t)
	newTopic(t, opts, "offsets", 3)
	ctx := t.Context()
	cl, _ := kgo.NewClient(opts...)
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "offsets", Key: []byte(`["file-source",{"z":1,"filename":"/tmp/a.txt"}]`), Value: []byte(`{"position":30}`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	s, err := store.NewKafkaOffsets(ctx, opts, "offsets")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	off, err := s.Get(ctx, "file-source", map[string]any{"filename": "/tmp/a.txt", "z": 1})
	if err != nil || off["position"] != int64(30) {
		t.Fatalf("Get = %v, %v; want position 30", off, err)
	}
}

func TestEnsureTopicRefusesWrongSettings(t *testing.T) {
	opts := kfakeOpts(t)
	cl, _ := kgo.NewClient(opts...)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := t.Context()
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "configs"); err != nil {
		t.Fatal(err)
	}
	err := store.EnsureTopic(ctx, adm, store.Topic{Name: "configs", Partitions: 1, ReplicationFactor: 1, SinglePartition: true})
	if err == nil || !strings.Contains(err.Error(), "has 3 partitions") {
		t.Fatalf("EnsureTopic(3 partitions) = %v; want a refusal", err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("delete")}, "offsets"); err != nil {
		t.Fatal(err)
	}
	err = store.EnsureTopic(ctx, adm, store.Topic{Name: "offsets", Partitions: 1, ReplicationFactor: 1})
	if err == nil || !strings.Contains(err.Error(), "cleanup.policy=delete") {
		t.Fatalf("EnsureTopic(delete policy) = %v; want a refusal", err)
	}
}

// TestKafkaOffsetsRecords: records made by Records and produced by another
// client in a committed transaction are what the store reads back; an
// aborted transaction's are not.
func TestKafkaOffsetsRecords(t *testing.T) {
	opts := kfakeOpts(t)
	newTopic(t, opts, "offsets", 3)
	ctx := t.Context()
	s, err := store.NewKafkaOffsets(ctx, opts, "offsets")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cl, err := kgo.NewClient(append(opts, kgo.TransactionalID("g-c-0"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	part := map[string]any{"filename": "/tmp/a.txt"}
	for _, tc := range []struct {
		pos    int64
		commit kgo.TransactionEndTry
	}{{10, kgo.TryCommit}, {20, kgo.TryAbort}} {
		recs, err := s.Records("c", []sdk.Position{{Partition: part, Offset: map[string]any{"position": tc.pos}}})
		if err != nil || len(recs) != 1 || recs[0].Topic != "offsets" || string(recs[0].Key) != `["c",{"filename":"/tmp/a.txt"}]` {
			t.Fatalf("Records = %v, %v", recs, err)
		}
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, tc.commit); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	off, err := s.Get(ctx, "c", part)
	if err != nil || off["position"] != int64(10) {
		t.Fatalf("Get = %v, %v; want the committed position 10", off, err)
	}
}
