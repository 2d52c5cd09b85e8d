package convert

import (
	"encoding/json"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// benchEvent is a clickstream event of the e-commerce demo pipeline; its
// payload is about 300 bytes of JSON.
var benchEventSchema = sdk.NewStruct("com.acme.shop.ProductView").Version(1).
	Field("event_id", sdk.StringSchema).
	Field("user_id", sdk.Int64Schema).
	Field("session_id", sdk.StringSchema).
	Field("type", sdk.StringSchema).
	Field("sku", sdk.StringSchema).
	Field("title", sdk.OptionalStringSchema).
	Field("price", sdk.DecimalSchema(2)).
	Field("quantity", sdk.Int32Schema).
	Field("score", sdk.Float64Schema).
	Field("ts", sdk.TimestampSchema).
	Field("tags", sdk.ArrayOf(sdk.StringSchema)).
	Field("referrer", sdk.OptionalStringSchema).
	Build()

func benchEvent() *sdk.Struct {
	return structOf(benchEventSchema,
		"event_id", "9f1c2a7e-4b1d-4c55-9a36-2f0b8c1d7e42",
		"user_id", int64(48213377),
		"session_id", "s-20240229-7c1e9b",
		"type", "product_view",
		"sku", "SKU-000123-BLK-M",
		"title", "Merino crew-neck sweater, black, size M",
		"price", dec("8990", 2),
		"quantity", int32(1),
		"score", 0.8734,
		"ts", ms(1_709_214_330_123),
		"tags", []any{"apparel", "knitwear", "winter"},
		"referrer", "https://shop.example.com/c/knitwear?page=2",
	)
}

// benchPlain is the same event without a schema.
func benchPlain() map[string]any {
	return map[string]any{
		"event_id": "9f1c2a7e-4b1d-4c55-9a36-2f0b8c1d7e42", "user_id": int64(48213377),
		"session_id": "s-20240229-7c1e9b", "type": "product_view", "sku": "SKU-000123-BLK-M",
		"title": "Merino crew-neck sweater, black, size M", "price": 89.9, "quantity": int64(1),
		"score": 0.8734, "ts": int64(1_709_214_330_123), "tags": []any{"apparel", "knitwear", "winter"},
		"referrer": "https://shop.example.com/c/knitwear?page=2",
	}
}

func BenchmarkJSON(b *testing.B) {
	withSchema := newTestJSON(b, nil)
	noSchema := newTestJSON(b, map[string]string{jsonSchemasEnable: "false"})
	event, plain := benchEvent(), benchPlain()

	envelope, err := withSchema.FromConnect("t", benchEventSchema, event)
	if err != nil {
		b.Fatal(err)
	}
	payload, err := noSchema.FromConnect("t", nil, plain)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("payload %d bytes, envelope %d bytes", len(payload), len(envelope))

	b.Run("FromConnect/schemas=true", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(envelope)))
		for b.Loop() {
			if _, err := withSchema.FromConnect("t", benchEventSchema, event); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FromConnect/schemas=false", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := noSchema.FromConnect("t", benchEventSchema, event); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FromConnect/schemaless", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := noSchema.FromConnect("t", nil, plain); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ToConnect/schemas=true", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(envelope)))
		for b.Loop() {
			if _, _, err := withSchema.ToConnect("t", envelope); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ToConnect/schemas=false", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, _, err := noSchema.ToConnect("t", payload); err != nil {
				b.Fatal(err)
			}
		}
	})

	// encoding/json on the schemaless event, for comparison: it sorts map
	// keys too, but escapes and formats numbers differently from Jackson.
	b.Run("stdlib/Marshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			if _, err := json.Marshal(plain); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib/Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			var v any
			if err := json.Unmarshal(payload, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
