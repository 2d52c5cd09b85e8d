package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func cfgOf(kv ...string) map[string]string {
	m := map[string]string{"name": "feat"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestParseConfig(t *testing.T) {
	c, err := parseConfig(cfgOf())
	if err != nil {
		t.Fatal(err)
	}
	if c.typ != typeHash || c.opts.Addr != "localhost:6379" || c.ttl != 0 || c.batchSize != 1000 ||
		c.offsetsKey != "freshet:offsets:feat" || c.maxRetries != 10 || c.retryBackoff != time.Second {
		t.Errorf("defaults: %+v", c)
	}
	if got := render(t, c.key, sdk.Record{Topic: "users", Key: "42"}); got != "users:42" {
		t.Errorf("default hash key = %q", got)
	}
	c, err = parseConfig(cfgOf("redis.type", "stream", "redis.uri", "10.0.0.1:7000", "redis.password", "pw",
		"redis.key.ttl", "60", "redis.stream.maxlen", "1000"))
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.Addr != "10.0.0.1:7000" || c.opts.Password != "pw" || c.ttl != time.Minute || c.maxLen != 1000 {
		t.Errorf("got %+v", c)
	}
	if got := render(t, c.key, sdk.Record{Topic: "clicks", Key: "42"}); got != "clicks" {
		t.Errorf("default stream key = %q", got)
	}
	c, err = parseConfig(cfgOf("redis.uri", "rediss://u:p@cache:6380/3"))
	if err != nil {
		t.Fatal(err)
	}
	if c.opts.Addr != "cache:6380" || c.opts.DB != 3 || c.opts.Username != "u" || c.opts.TLSConfig == nil {
		t.Errorf("got %+v", c.opts)
	}
	for _, bad := range []struct{ key, val string }{
		{"redis.type", "zset"},
		{"redis.key.template", "${topic}:${value}"},
		{"redis.key.template", "${topic"},
		{"redis.key.ttl", "-1"},
		{"redis.uri", "http://[::1"},
	} {
		_, err := parseConfig(cfgOf(bad.key, bad.val))
		var ce *sdk.ConfigError
		if !errors.As(err, &ce) || ce.Key != bad.key {
			t.Errorf("%s=%s: %v", bad.key, bad.val, err)
		}
		if v := (&connector{}).Validate(context.Background(), cfgOf(bad.key, bad.val)); len(v[bad.key]) == 0 {
			t.Errorf("%s=%s: Validate = %v", bad.key, bad.val, v)
		}
	}
}

func render(t *testing.T, tm template, r sdk.Record) string {
	t.Helper()
	b, err := tm.render(nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKeyTemplate(t *testing.T) {
	ks := sdk.NewStruct("k").Field("tenant", sdk.StringSchema).Field("id", sdk.Int32Schema).Build()
	tests := []struct {
		tmpl string
		key  any
		want string
	}{
		{"${topic}:${key}", "u1", "users:u1"},
		{"${topic}:${key}", int64(7), "users:7"},
		{"${topic}:${key}", []byte("raw"), "users:raw"},
		{"${topic}:${key}", sdk.NewStructValue(ks).Put("tenant", "acme").Put("id", int32(3)), "users:acme:3"},
		{"${topic}:${key}", map[string]any{"b": "2", "a": int64(1)}, "users:1:2"},
		{"feat:${partition}:${key}:v1", "x", "feat:4:x:v1"},
		{"static", nil, "static"},
	}
	for _, tt := range tests {
		tm, err := parseTemplate(tt.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(t, tm, sdk.Record{Topic: "users", Partition: 4, Key: tt.key}); got != tt.want {
			t.Errorf("%s with %v = %q, want %q", tt.tmpl, tt.key, got, tt.want)
		}
	}
	tm, _ := parseTemplate("${topic}:${key}")
	if _, err := tm.render(nil, &sdk.Record{Topic: "t"}); err == nil || !strings.Contains(err.Error(), "null key") {
		t.Errorf("null key: %v", err)
	}
}
