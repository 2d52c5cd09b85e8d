package redis

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// queued returns the commands queue adds for r, as text, without a server:
// the pipeline is never executed.
func queued(t *testing.T, kv []string, r sdk.Record) []string {
	t.Helper()
	c, err := parseConfig(cfgOf(kv...))
	if err != nil {
		t.Fatal(err)
	}
	task := &sinkTask{cfg: c}
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	cmds, err := task.queue(context.Background(), client.TxPipeline(), "k", &r)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, cmd := range cmds {
		var args []string
		for _, a := range cmd.Args() {
			switch a := a.(type) {
			case []byte:
				args = append(args, string(a))
			default:
				args = append(args, fmt.Sprint(a))
			}
		}
		out = append(out, strings.Join(args, " "))
	}
	return out
}

func TestQueueLineage(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 30, 0, 123e6, time.FixedZone("CEST", 2*3600))
	vs := sdk.NewStruct("com.example.Score").Version(2).
		Field("score", sdk.Float64Schema).Field("_freshet.topic", sdk.StringSchema).Build()
	rec := sdk.Record{Topic: "scores", Partition: 3, Offset: 17, Timestamp: ts, Key: "u1",
		Value: sdk.NewStructValue(vs).Put("score", 0.5).Put("_freshet.topic", "spoofed"), ValueSchema: vs}
	plain := sdk.Record{Topic: "scores", Partition: 0, Offset: 5, Key: "u1", Value: "hello"}
	tomb := sdk.Record{Topic: "scores", Offset: 6, Key: "u1"}
	on := []string{sdk.LineageEnableKey, "true", "freshet.connector.name", "feat", "freshet.connector.version", "9.9"}
	full := "_freshet.topic scores _freshet.partition 3 _freshet.offset 17 " +
		"_freshet.timestamp 2024-05-01T10:30:00.123Z _freshet.schema_name com.example.Score " +
		"_freshet.schema_version 2 _freshet.connector feat _freshet.connector_version 9.9"
	short := "_freshet.topic scores _freshet.partition 0 _freshet.offset 5 _freshet.connector feat _freshet.connector_version 9.9"
	tests := []struct {
		name string
		cfg  []string
		rec  sdk.Record
		want []string
	}{
		{"hash: lineage fields in the same HSET", on, rec, []string{
			"del k", "hset k score 0.5 " + full}},
		{"hash, ttl", append(on, "redis.key.ttl", "60"), rec, []string{
			"del k", "hset k score 0.5 " + full, "expire k 60"}},
		{"hash off: fields as they are", nil, rec, []string{
			"del k", "hset k score 0.5 _freshet.topic spoofed"}},
		{"string: companion hash", append(on, "redis.type", "string", "redis.key.ttl", "60"), plain, []string{
			"set k hello ex 60", "del k:_freshet", "hset k:_freshet " + short, "expire k:_freshet 60"}},
		{"string tombstone deletes the companion", append(on, "redis.type", "string"), tomb, []string{
			"del k k:_freshet"}},
		{"string off", []string{"redis.type", "string"}, plain, []string{"set k hello"}},
		{"stream: lineage fields in the entry", append(on, "redis.type", "stream"), plain, []string{
			"xadd k * value hello " + short}},
		{"hash tombstone", on, tomb, []string{"del k"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := queued(t, tc.cfg, tc.rec); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("commands\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
