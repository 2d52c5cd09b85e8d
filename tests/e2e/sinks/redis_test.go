package sinks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/freshet-dev/freshet/connectors/redis"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// redisEnv is one test's corner of a Redis server: topics (and so keys)
// start with prefix, and are deleted at the end.
type redisEnv struct {
	addr   string
	prefix string
	c      *goredis.Client
}

func newRedis(t testing.TB) *redisEnv {
	t.Helper()
	return newRedisAt(t, e2etest.Getenv(t, "FRESHET_REDIS_ADDR"))
}

func newRedisAt(t testing.TB, addr string) *redisEnv {
	t.Helper()
	e := &redisEnv{addr: addr, prefix: fmt.Sprintf("re2e%d", rand.IntN(1e9)),
		c: goredis.NewClient(&goredis.Options{Addr: addr, DisableIdentity: true})}
	if err := e.c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v", addr, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		iter := e.c.Scan(ctx, 0, e.prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			e.c.Del(ctx, iter.Val())
		}
		e.c.Close()
	})
	return e
}

func (e *redisEnv) config(name string, kv ...string) map[string]string {
	cfg := map[string]string{
		"name":                name,
		"redis.uri":           e.addr,
		"freshet.offsets.key": e.prefix + ":offsets:" + name,
		"retry.backoff.ms":    "100",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return cfg
}

func redisTask(t testing.TB, cfg map[string]string) sdk.SinkTask {
	return startTask(t, redis.Plugin(), cfg)
}

func (e *redisEnv) check(t *testing.T, topic string, ref RedisReference, recs []sdk.Record, failed func(*sdk.Record) bool) {
	t.Helper()
	got, err := ReadRedis(context.Background(), e.c, topic+":*")
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(got, ref.Keys(recs, failed), 10); d != "" {
		t.Error(d)
	}
}

// stream reads a stream's entries as their field maps.
func (e *redisEnv) stream(t testing.TB, key string) []map[string]string {
	t.Helper()
	msgs, err := e.c.XRange(context.Background(), key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]string, len(msgs))
	for i, m := range msgs {
		out[i] = map[string]string{}
		for k, v := range m.Values {
			out[i][k] = fmt.Sprint(v)
		}
	}
	return out
}

// TestRedisDataStructures: hashes, strings and streams, with tombstones, TTLs
// and key templates, over several Puts.
func TestRedisDataStructures(t *testing.T) {
	e := newRedis(t)
	ctx := context.Background()
	batches := func(topic string) [][]sdk.Record {
		return [][]sdk.Record{
			{item(topic, 0, 0, 1, "lamp", 10.5), item(topic, 0, 1, 2, "desk", nil), item(topic, 0, 2, 3, "chair", 40.0),
				item(topic, 0, 3, 1, "lamp", 11.0)},
			{item(topic, 0, 4, 2, nil, nil), item(topic, 0, 5, 3, "chair", 35.0), item(topic, 0, 6, 4, "sofa", 300.0),
				item(topic, 0, 7, 4, nil, nil), item(topic, 0, 8, 5, "couch", 280.0)},
		}
	}
	t.Run("hash", func(t *testing.T) {
		topic := e.prefix + "-h"
		task := redisTask(t, e.config("hash", "redis.key.ttl", "600"))
		var all []sdk.Record
		for _, b := range batches(topic) {
			put(t, task, b)
			all = append(all, b...)
		}
		e.check(t, topic, RedisReference{Type: "hash"}, all, nil)
		// A field that became null is gone: the hash is replaced, not merged.
		put(t, task, []sdk.Record{item(topic, 0, 9, 1, "lamp", nil)})
		if got := e.c.HGetAll(ctx, topic+":1").Val(); !reflect.DeepEqual(got, map[string]string{"id": "1", "name": "lamp"}) {
			t.Errorf("replaced hash = %v", got)
		}
		if ttl := e.c.TTL(ctx, topic+":1").Val(); ttl <= 590*time.Second || ttl > 600*time.Second {
			t.Errorf("TTL = %v, want about 600s", ttl)
		}
	})
	t.Run("string", func(t *testing.T) {
		topic := e.prefix + "-s"
		task := redisTask(t, e.config("string", "redis.type", "string", "redis.key.template", "${topic}:item:${key}"))
		b := batches(topic)[0]
		b = append(b, sdk.Record{Topic: topic, Offset: 4, Key: "raw", Value: "plain text"}, item(topic, 0, 5, 2, nil, nil))
		put(t, task, b)
		got, err := ReadRedis(ctx, e.c, topic+":*")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]map[string]string{
			topic + ":item:1":   {"": `{"id":1,"name":"lamp","price":11}`},
			topic + ":item:3":   {"": `{"id":3,"name":"chair","price":40}`},
			topic + ":item:raw": {"": "plain text"},
		}
		if d := Diff(got, want, 10); d != "" {
			t.Error(d)
		}
		if ttl := e.c.TTL(ctx, topic+":item:1").Val(); ttl != -1 {
			t.Errorf("TTL = %v, want none", ttl)
		}
	})
	t.Run("stream", func(t *testing.T) {
		topic := e.prefix + "-x"
		task := redisTask(t, e.config("stream", "redis.type", "stream", "redis.stream.maxlen", "1000"))
		var want []map[string]string
		for _, b := range batches(topic) {
			put(t, task, b)
			for _, r := range b {
				if r.Value != nil {
					row := Row{}
					_ = addFields(row, r.Value, nil)
					delete(row, "price")
					if p := r.Value.(*sdk.Struct).Get("price"); p != nil {
						row["price"] = Text(p)
					}
					want = append(want, row)
				}
			}
		}
		if got := e.stream(t, topic); !reflect.DeepEqual(got, want) {
			t.Errorf("stream:\n got %v\nwant %v", got, want)
		}
	})
}

// TestRedisRecordErrors: records that cannot be written fail alone; the
// others are written, and the failed ones are delivered again after a
// restart until Flush confirms their dead letters.
func TestRedisRecordErrors(t *testing.T) {
	e := newRedis(t)
	ctx := context.Background()
	topic := e.prefix + "-err"
	tp := sdk.TopicPartition{Topic: topic}
	// A key that holds a string where the stream sink needs a stream.
	if err := e.c.Set(ctx, topic+":busy", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cfg := e.config("errs", "redis.type", "stream", "redis.key.template", "${topic}:${key}")
	task := redisTask(t, cfg)
	open(t, task, tp)
	batch := []sdk.Record{
		{Topic: topic, Offset: 0, Key: "a", Value: map[string]any{"v": int64(1)}},
		{Topic: topic, Offset: 1, Value: map[string]any{"v": int64(2)}}, // null key
		{Topic: topic, Offset: 2, Key: "busy", Value: map[string]any{"v": int64(3)}},
		{Topic: topic, Offset: 3, Key: "b", Value: "scalar"},
		{Topic: topic, Offset: 4, Key: "a", Value: map[string]any{"v": int64(5)}},
	}
	err := task.Put(ctx, batch)
	var be *sdk.BatchError
	if !errors.As(err, &be) || len(be.Failed) != 2 || be.Failed[1] == nil || be.Failed[2] == nil {
		t.Fatalf("Put = %v, want records 1 and 2 to fail", err)
	}
	for i, want := range map[int]string{1: "null key", 2: "WRONGTYPE"} {
		if c, _ := sdk.ClassOf(be.Failed[i]); c != sdk.ClassRecord || !strings.Contains(be.Failed[i].Error(), want) {
			t.Errorf("record %d: %v (%v), want a record error with %q", i, be.Failed[i], c, want)
		}
	}
	if got := len(e.stream(t, topic+":a")); got != 2 {
		t.Errorf("stream a has %d entries, want 2", got)
	}
	if got := e.stream(t, topic+":b"); !reflect.DeepEqual(got, []map[string]string{{"value": "scalar"}}) {
		t.Errorf("stream b = %v", got)
	}
	task2 := redisTask(t, cfg)
	if got := open(t, task2, tp); got[tp] != 1 {
		t.Errorf("Open = %v, want 1 (the first failed record)", got)
	}
	err = task2.Put(ctx, batch[1:])
	if !errors.As(err, &be) || len(be.Failed) != 2 {
		t.Errorf("redelivery: %v", err)
	}
	if got := len(e.stream(t, topic+":a")); got != 2 {
		t.Errorf("after redelivery stream a has %d entries, want 2", got)
	}
	if _, err := task2.Flush(ctx, sdk.Offsets{tp: 5}); err != nil {
		t.Fatal(err)
	}
	if got := open(t, redisTask(t, cfg), tp); got[tp] != 5 {
		t.Errorf("Open after Flush = %v, want 5", got)
	}
}

// TestRedisHashNeedsFields: a scalar value cannot be a hash.
func TestRedisHashNeedsFields(t *testing.T) {
	e := newRedis(t)
	topic := e.prefix + "-hs"
	task := redisTask(t, e.config("hs"))
	err := task.Put(context.Background(), []sdk.Record{{Topic: topic, Key: "k", Value: "text"}, {Topic: topic, Offset: 1, Key: "j", Value: map[string]any{"a": "b"}}})
	var be *sdk.BatchError
	if !errors.As(err, &be) || len(be.Failed) != 1 || !strings.Contains(be.Failed[0].Error(), "struct or map") {
		t.Fatalf("Put = %v", err)
	}
	if got := e.c.HGetAll(context.Background(), topic+":j").Val(); !reflect.DeepEqual(got, map[string]string{"a": "b"}) {
		t.Errorf("hash j = %v", got)
	}
}

// TestRedisCrashExactlyOnce: a sink process SIGKILLed ten times at random
// points leaves streams that hold each record exactly once, in order: one
// stream per partition, so any duplicate or gap shows.
func TestRedisCrashExactlyOnce(t *testing.T) {
	e := newRedis(t)
	topic := e.prefix + "-crash"
	s := crashSpec{Plugin: "redis", Topic: topic, Parts: 3, N: 12000, Poison: "empty", Seed: 21,
		Config: e.config("crash-stream", "redis.type", "stream", "redis.key.template", "${topic}:${partition}", "batch.size", "100")}
	recs := crashLoop(t, s, 10)
	want := map[int32][]map[string]string{}
	for i := range recs {
		r := &recs[i]
		if poisoned(r) {
			continue
		}
		row := Row{}
		_ = addFields(row, r.Value, nil)
		if row["price"] == Null {
			delete(row, "price")
		}
		want[r.Partition] = append(want[r.Partition], row)
	}
	for p := range int32(3) {
		got := e.stream(t, topic+":"+strconv.Itoa(int(p)))
		if len(got) != len(want[p]) {
			t.Errorf("partition %d: %d entries, want %d", p, len(got), len(want[p]))
		}
		for i := range min(len(got), len(want[p])) {
			if !reflect.DeepEqual(got[i], want[p][i]) {
				t.Errorf("partition %d entry %d = %v, want %v", p, i, got[i], want[p][i])
				break
			}
		}
	}
}

// TestRedisCrashHash: the same with hashes and tombstones of 300 keys.
func TestRedisCrashHash(t *testing.T) {
	e := newRedis(t)
	topic := e.prefix + "-crashh"
	s := crashSpec{Plugin: "redis", Topic: topic, Parts: 3, N: 12000, Keys: 300, Tombstones: true, Poison: "scalar", Seed: 22,
		Config: e.config("crash-hash", "batch.size", "100")}
	recs := crashLoop(t, s, 10)
	e.check(t, topic, RedisReference{Type: "hash"}, recs, poisoned)
}

// TestRedisRestart: a Redis server (with an append-only file, fsync
// always) SIGKILLed under load and restarted a second later: Put retries
// through it, nothing is lost, nothing is written twice.
func TestRedisRestart(t *testing.T) {
	e2etest.Getenv(t, "FRESHET_REDIS_ADDR") // the e2e gate; this test runs its own server
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server: %v (tests/services/up.sh redis installs it)", err)
	}
	dir := t.TempDir()
	port := listenablePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
			"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", filepath.Join(dir, "log"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		c := goredis.NewClient(&goredis.Options{Addr: addr, DisableIdentity: true, MaxRetries: -1})
		defer c.Close()
		for i := 0; ; i++ {
			if c.Ping(context.Background()).Err() == nil {
				return cmd
			}
			if i == 100 {
				log, _ := os.ReadFile(filepath.Join(dir, "log"))
				t.Fatalf("redis-server on %s did not start:\n%s", addr, log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	srv := start()
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	e := newRedisAt(t, addr)
	topic := e.prefix + "-restart"
	task := redisTask(t, e.config("restart", "redis.type", "stream", "redis.key.template", "${topic}:${partition}",
		"retry.backoff.ms", "200", "max.retries", "30"))
	s := crashSpec{Topic: topic, Parts: 2, N: 4000, Seed: 9}
	recs := s.records()
	ctx := context.Background()
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(400 * time.Millisecond)
		_ = srv.Process.Kill()
		_ = srv.Wait()
		time.Sleep(time.Second)
		srv = start()
	}()
	for i := 0; i < len(recs); i += 40 {
		if err := task.Put(ctx, recs[i:min(i+40, len(recs))]); err != nil {
			t.Fatalf("Put at record %d: %v", i, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-restarted:
	default:
		t.Fatal("the load ended before the restart; make it longer")
	}
	for p := range int32(2) {
		var want []string
		for _, r := range recs {
			if r.Partition == p {
				want = append(want, r.Value.(*sdk.Struct).Get("name").(string))
			}
		}
		var got []string
		for _, m := range e.stream(t, topic+":"+strconv.Itoa(int(p))) {
			got = append(got, m["name"])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("partition %d: %d entries, want %d (first difference at %d)", p, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestRedisLostExecReply: the EXEC reaches Redis, its answer does not. Put
// reloads the stored offsets before retrying, and appends nothing twice.
func TestRedisLostExecReply(t *testing.T) {
	e := newRedis(t)
	p := e2etest.NewProxy(t, e.addr)
	topic := e.prefix + "-lost"
	task := redisTask(t, e.config("lost", "redis.uri", p.Addr(), "redis.type", "stream", "redis.key.template", "${topic}"))
	var recs []sdk.Record
	for i := range int64(40) {
		recs = append(recs, item(topic, 0, i, i, "n"+strconv.Itoa(int(i)), nil))
	}
	put(t, task, recs[:20])
	p.LoseReplyTo("$4\r\nexec\r\n") // go-redis sends command names in lower case
	put(t, task, recs[20:])
	if p.Fired() != 1 {
		t.Fatal("the EXEC's reply was not lost")
	}
	got := e.stream(t, topic)
	if len(got) != 40 || got[39]["name"] != "n39" || got[20]["name"] != "n20" {
		t.Errorf("stream has %d entries, want 40 in order", len(got))
	}
}

// TestRedisFencing: a task whose view of a partition's stored offsets is out
// of date (another task wrote the partition since) writes nothing twice.
func TestRedisFencing(t *testing.T) {
	e := newRedis(t)
	topic := e.prefix + "-fence"
	cfg := e.config("fence", "redis.type", "stream", "redis.key.template", "${topic}", "retry.backoff.ms", "50")
	tp := sdk.TopicPartition{Topic: topic}
	var recs []sdk.Record
	for i := range int64(30) {
		recs = append(recs, item(topic, 0, i, i, "n"+strconv.Itoa(int(i)), nil))
	}
	a, b := redisTask(t, cfg), redisTask(t, cfg)
	open(t, a, tp)
	put(t, a, recs[:10])
	if got := open(t, b, tp); got[tp] != 10 {
		t.Fatalf("b: Open = %v, want 10", got)
	}
	put(t, b, recs[10:20])
	put(t, a, recs[10:30]) // a still thinks 10 is next
	got := e.stream(t, topic)
	if len(got) != 30 {
		t.Fatalf("stream has %d entries, want 30", len(got))
	}
	for i, m := range got {
		if m["name"] != "n"+strconv.Itoa(i) {
			t.Fatalf("entry %d = %v", i, m)
		}
	}
}

// TestRedisReplay: a dead letter replayed straight into the sink is written
// although its offset is below the stored position, which does not move.
func TestRedisReplay(t *testing.T) {
	e := newRedis(t)
	topic := e.prefix + "-replay"
	cfg := e.config("replay")
	task := redisTask(t, cfg)
	tp := sdk.TopicPartition{Topic: topic}
	open(t, task, tp)
	batch := []sdk.Record{item(topic, 0, 0, 1, "a", nil), {Topic: topic, Offset: 1, Key: int64(2), Value: "scalar"}, item(topic, 0, 2, 3, "c", nil)}
	var be *sdk.BatchError
	if err := task.Put(context.Background(), batch); !errors.As(err, &be) || len(be.Failed) != 1 {
		t.Fatalf("Put = %v, want record 1 to fail", err)
	}
	if _, err := task.Flush(context.Background(), sdk.Offsets{tp: 3}); err != nil {
		t.Fatal(err)
	}
	replay := item(topic, 0, 1, 2, "b", nil) // fixed by hand, replayed at its old offset
	replay.Headers = []sdk.Header{{Key: "__freshet.replay.id", Value: []byte("r1")}}
	put(t, task, []sdk.Record{replay})
	if got := e.c.HGetAll(context.Background(), topic+":2").Val(); got["name"] != "b" {
		t.Errorf("replayed hash = %v", got)
	}
	if got := open(t, redisTask(t, cfg), tp); got[tp] != 3 {
		t.Errorf("Open = %v, want 3: a replay must not move the stored offsets", got)
	}
}

// listenablePort returns a port nothing listens on, below the kernel's
// ephemeral range (32768 up), so that no outgoing connection takes it while
// the server that is to listen there is down.
func listenablePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		port := 20000 + rand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port in 20000-31999")
	return 0
}
