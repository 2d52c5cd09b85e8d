package transform_test

import (
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

// BenchmarkChainStruct runs a 3-transform chain (InsertField$Value,
// ReplaceField$Value, ValueToKey) on records that share one struct schema.
func BenchmarkChainStruct(b *testing.B) {
	c, err := transform.NewChain(map[string]string{
		"transforms":                      "meta,clean,key",
		"transforms.meta.type":            "org.apache.kafka.connect.transforms.InsertField$Value",
		"transforms.meta.topic.field":     "topic",
		"transforms.meta.timestamp.field": "ingested_at",
		"transforms.clean.type":           "org.apache.kafka.connect.transforms.ReplaceField$Value",
		"transforms.clean.exclude":        "email",
		"transforms.clean.renames":        "name:full_name",
		"transforms.key.type":             "org.apache.kafka.connect.transforms.ValueToKey",
		"transforms.key.fields":           "id",
	})
	if err != nil {
		b.Fatal(err)
	}
	s := userSchema()
	v := userStruct(s)
	tmpl := sdk.Record{Topic: "orders", Partition: 3, Offset: 42, Timestamp: ts, ValueSchema: s, Value: v}
	b.ReportAllocs()
	for b.Loop() {
		r := tmpl
		if keep, err := c.Apply(&r); !keep || err != nil {
			b.Fatal(keep, err)
		}
	}
}

// BenchmarkChainSchemaless runs the same chain on map values.
func BenchmarkChainSchemaless(b *testing.B) {
	c, err := transform.NewChain(map[string]string{
		"transforms":                      "meta,clean,key",
		"transforms.meta.type":            "InsertField$Value",
		"transforms.meta.topic.field":     "topic",
		"transforms.meta.timestamp.field": "ingested_at",
		"transforms.clean.type":           "ReplaceField$Value",
		"transforms.clean.exclude":        "email",
		"transforms.clean.renames":        "name:full_name",
		"transforms.key.type":             "ValueToKey",
		"transforms.key.fields":           "id",
	})
	if err != nil {
		b.Fatal(err)
	}
	tmpl := sdk.Record{Topic: "orders", Partition: 3, Offset: 42, Timestamp: ts, Value: userMap()}
	b.ReportAllocs()
	for b.Loop() {
		r := tmpl
		if keep, err := c.Apply(&r); !keep || err != nil {
			b.Fatal(keep, err)
		}
	}
}
