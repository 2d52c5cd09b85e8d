// Package convert implements Kafka Connect's converters: it turns the bytes
// of Kafka record keys and values into Kafka Connect data (sdk.Schema plus a
// value in the sdk's value model) and back.
//
// New builds a converter from a class name and its props, with the
// "key.converter."/"value.converter." prefix already stripped:
//
//   - json, org.apache.kafka.connect.json.JsonConverter: schemas.enable
//     (default true), decimal.format (BASE64 or NUMERIC), replace.null.with.default
//     (default true), schemas.cache.size (default 1000) and schema.content;
//   - string, org.apache.kafka.connect.storage.StringConverter:
//     converter.encoding (UTF-8, ISO-8859-1, US-ASCII);
//   - bytearray, org.apache.kafka.connect.converters.ByteArrayConverter.
//
// Kafka's simple class names and aliases (JsonConverter, Json) work too;
// Classes lists every accepted name.
//
// # JSON compatibility
//
// The JSON converter writes the bytes Kafka Connect's JsonConverter writes for
// the same value: the envelope {"schema":…,"payload":…}, the keys of a schema
// in JsonConverter's order, Jackson's string escapes (non-BMP characters as
// \uXXXX surrogate pairs), doubles and floats as Java prints them, decimals
// as base64 two's complement or as BigDecimal.toString. It reads what
// JsonConverter writes. testdata/jsonconverter.json holds vectors captured
// from the real JsonConverter (tests/vectors/jsonconverter/capture.sh) and
// json_test.go checks both directions against them. Where the bytes cannot
// be the same, or where we decide differently on purpose:
//
//   - Go maps have no order. Map entries, and schema parameters, are written
//     sorted by key; Kafka Connect writes its Map's iteration order.
//   - Floating-point numbers are printed as JDK 19 and later print them
//     (shortest form). JDK 17 sometimes prints one more digit, mostly for
//     large float32 values (7.92772E8 where JDK 17 prints 7.9277197E8); both
//     read back as the same number.
//   - Reading is strict where Kafka Connect silently corrupts: a string,
//     a fraction or an out-of-range number in an integer field, a number in a
//     string or bytes field, an object in an array field are errors here,
//     where Kafka Connect reads 0, a truncated or wrapped number, null or the
//     object's values. Content after the JSON value ({"a":1} x) is an error;
//     Jackson ignores it.
//   - Decimals written as numbers (decimal.format=NUMERIC) are read with the
//     scale of their schema (12.5 in a scale-2 field reads as 12.50); Kafka
//     Connect keeps the number's own scale. A number with more fractional
//     digits than the scale is an error rather than rounded.
//   - "NaN", "Infinity" and "-Infinity", which Jackson writes for non-finite
//     floats, read back as those values; Kafka Connect reads them as 0.
//   - A nil value with a schema is written as Kafka Connect writes it (an
//     envelope with a null payload, or the default), not as a tombstone; only
//     a nil value without a schema gives nil bytes.
//
// Every error from ToConnect and FromConnect is an sdk record error. It keeps
// Kafka Connect's message where Kafka has one, says where in the value it
// happened (at customer.items[2].qty: …), and for malformed JSON the line,
// column and byte offset.
//
// Converters are safe for concurrent use; the JSON converter guards its
// schema caches with a mutex. The package starts no goroutines.
package convert
