package transform_test

import (
	"errors"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

func TestTimestampRouter(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want string
	}{
		{"defaults", nil, "orders-20240305"},
		{"every common letter", []string{"timestamp.format", "yyyy-MM-dd'T'HH:mm:ss.SSS"}, "orders-2024-03-05T14:07:09.042"},
		{"custom topic format", []string{"topic.format", "archive.${timestamp}.${topic}", "timestamp.format", "yyyyMM"}, "archive.202403.orders"},
		{"literal digits are not fields", []string{"timestamp.format", "'2'yy'01'"}, "orders-22401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, cfg("org.apache.kafka.connect.transforms.TimestampRouter", tc.kv...))
			r := sinkRecord(nil, "v")
			if _, err := c.Apply(r); err != nil {
				t.Fatal(err)
			}
			if r.Topic != tc.want {
				t.Errorf("topic = %q, want %q", r.Topic, tc.want)
			}
			if r.Partition != 3 {
				t.Errorf("partition = %d, want it kept", r.Partition)
			}
		})
	}
	t.Run("timestamp in another zone is formatted in UTC", func(t *testing.T) {
		c := mustChain(t, cfg("TimestampRouter", "timestamp.format", "yyyyMMddHH"))
		r := sinkRecord(nil, "v")
		r.Timestamp = time.Date(2024, 3, 5, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
		if _, err := c.Apply(r); err != nil {
			t.Fatal(err)
		}
		if r.Topic != "orders-2024030604" {
			t.Errorf("topic = %q", r.Topic)
		}
	})
	t.Run("no timestamp", func(t *testing.T) {
		c := mustChain(t, cfg("TimestampRouter"))
		r := sinkRecord(nil, "v")
		r.Timestamp = time.Time{}
		var te *transform.Error
		if _, err := c.Apply(r); !errors.As(err, &te) {
			t.Fatalf("err = %v, want *transform.Error", err)
		}
	})
	t.Run("bad pattern", func(t *testing.T) {
		_, err := transform.NewChain(cfg("TimestampRouter", "timestamp.format", "yyyy-ww"))
		equal(t, "keys", configKeys(t, err), []string{"transforms.t.timestamp.format"})
	})
}

func TestRegexRouter(t *testing.T) {
	for _, tc := range []struct {
		name, regex, replacement, topic, want string
	}{
		{"groups", `(.*)-(.*)`, `$2_$1`, "orders-eu", "eu_orders"},
		{"no match leaves the topic", `(.*)-(.*)`, `$2`, "orders", "orders"},
		{"must match the whole topic", `rders`, `x`, "orders", "orders"},
		{"$1 followed by text", `(.*)`, `$1_v2`, "orders", "orders_v2"},
		{"$12 is group 1 and 2 when there is one group", `(.*)`, `$12`, "orders", "orders2"},
		{"escaped dollar", `(.*)`, `\$$1`, "orders", "$orders"},
		{"named group", `(?<name>[a-z]+)\.(\d+)`, `${name}-$2`, "orders.7", "orders-7"},
		{"alternation is anchored as a whole", `a|orders`, `matched`, "orders", "matched"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, cfg("org.apache.kafka.connect.transforms.RegexRouter", "regex", tc.regex, "replacement", tc.replacement))
			r := &sdk.Record{Topic: tc.topic, Partition: 1}
			if _, err := c.Apply(r); err != nil {
				t.Fatal(err)
			}
			if r.Topic != tc.want {
				t.Errorf("topic = %q, want %q", r.Topic, tc.want)
			}
		})
	}
}

func TestRegexRouterConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want []string
	}{
		{"both missing", nil, []string{"transforms.t.regex", "transforms.t.replacement"}},
		{"bad regex", []string{"regex", "(", "replacement", "x"}, []string{"transforms.t.regex"}},
		{"Java-only lookahead", []string{"regex", "a(?=b)", "replacement", "x"}, []string{"transforms.t.regex"}},
		{"group out of range", []string{"regex", "(a)", "replacement", "$2"}, []string{"transforms.t.replacement"}},
		{"unknown group name", []string{"regex", "(a)", "replacement", "${x}"}, []string{"transforms.t.replacement"}},
		{"dangling dollar", []string{"regex", "(a)", "replacement", "a$"}, []string{"transforms.t.replacement"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transform.NewChain(cfg("RegexRouter", tc.kv...))
			equal(t, "keys", configKeys(t, err), tc.want)
		})
	}
}
