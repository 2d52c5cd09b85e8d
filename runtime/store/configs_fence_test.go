package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/runtime/store"
)

// An old leader, fenced by a new one, cannot overwrite the new leader's
// config: its write fails, and no reader (a third worker, or one that reads
// the topic from scratch later) ever applies it.
func TestKafkaConfigsOldLeaderFenced(t *testing.T) {
	opts := kfakeOpts(t)
	newTopic(t, opts, "configs", 1)
	ctx := t.Context()
	open := func() *store.KafkaConfigs {
		s, err := store.NewKafkaConfigs(ctx, opts, "configs", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	conn := func(v string) store.Connector {
		return store.Connector{Name: "x", Config: map[string]string{"connector.class": "file", "v": v}}
	}
	old, next, reader := open(), open(), open()

	if err := old.Lead(ctx); err != nil {
		t.Fatal(err)
	}
	if err := old.Put(ctx, conn("old leader, while it led")); err != nil {
		t.Fatal(err)
	}
	if err := next.Lead(ctx); err != nil { // a new generation's leader takes over
		t.Fatal(err)
	}
	if err := next.Put(ctx, conn("new leader")); err != nil {
		t.Fatal(err)
	}
	for _, write := range []struct {
		name string
		f    func() error
	}{
		{"put", func() error { return old.Put(ctx, conn("zombie")) }},
		{"delete", func() error { return old.Delete(ctx, "x") }},
		{"put again", func() error { return old.Put(ctx, conn("zombie again")) }},
	} {
		if err := write.f(); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("old leader's %s = %v, want ErrFenced", write.name, err)
		}
	}
	if err := next.Put(ctx, store.Connector{Name: "y", Config: map[string]string{"connector.class": "file"}}); err != nil {
		t.Fatalf("new leader's later write: %v", err)
	}

	late := open() // reads the whole topic from its start
	for name, s := range map[string]*store.KafkaConfigs{"reader": reader, "late reader": late, "new leader": next} {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Get(ctx, "x")
		if err != nil || !ok || got.Config["v"] != "new leader" {
			t.Errorf("%s: x = %+v %v %v; want the new leader's config", name, got.Config, ok, err)
		}
		if _, ok, _ := s.Get(ctx, "y"); !ok {
			t.Errorf("%s: y missing", name)
		}
	}

	// Leading again (a later generation) takes the topic back.
	if err := old.Lead(ctx); err != nil {
		t.Fatal(err)
	}
	if err := old.Put(ctx, conn("leader again")); err != nil {
		t.Fatalf("write after leading again: %v", err)
	}
	if err := next.Put(ctx, conn("zombie")); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("the now old leader's put = %v, want ErrFenced", err)
	}
}

// The leader's session key reaches every worker through the config topic,
// and the key before a rotation stays known.
func TestKafkaConfigsSessionKey(t *testing.T) {
	opts := kfakeOpts(t)
	newTopic(t, opts, "configs", 1)
	ctx := t.Context()
	leader, err := store.NewKafkaConfigs(ctx, opts, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer leader.Close()
	if _, _, ok := leader.SessionKeys(); ok {
		t.Fatal("a key before any was written")
	}
	if err := leader.Lead(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"first", "second"} {
		if err := leader.PutSessionKey(ctx, store.SessionKey{Key: []byte(k), Algorithm: "HmacSHA256", Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	other, err := store.NewKafkaConfigs(ctx, opts, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cur, prev, ok := other.SessionKeys()
	if !ok || string(cur.Key) != "second" || string(prev.Key) != "first" || cur.Algorithm != "HmacSHA256" || time.Since(cur.Created) > time.Minute {
		t.Fatalf("SessionKeys = %+v, %+v, %v; want second, then first", cur, prev, ok)
	}
}
