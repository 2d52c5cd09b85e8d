package dev.freshet.vectors;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;

import java.io.File;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Captures golden vectors from Kafka Connect's JsonConverter for Freshet's Go converter.
 *
 * Every case is named; the Go test (runtime/convert/json_test.go) builds the same value under the
 * same name. Maps with several entries are LinkedHashMaps filled in sorted key order, which is the
 * order Freshet writes, so their bytes are comparable exactly. Run through capture.sh.
 */
public final class Capture {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final String TOPIC = "topic";

    private static final Map<String, String> DEFAULTS = Map.of();
    private static final Map<String, String> NUMERIC = Map.of("decimal.format", "NUMERIC");
    private static final Map<String, String> NO_SCHEMAS = Map.of("schemas.enable", "false");
    private static final Map<String, String> NO_REPLACE = Map.of("replace.null.with.default", "false");

    private record WriteCase(String name, Map<String, String> config, Schema schema, Object value) { }

    private record ReadCase(String name, Map<String, String> config, byte[] input) { }

    private final List<WriteCase> writes = new ArrayList<>();
    private final List<ReadCase> reads = new ArrayList<>();

    private void w(String name, Map<String, String> config, Schema schema, Object value) {
        writes.add(new WriteCase(name, config, schema, value));
    }

    private void w(String name, Schema schema, Object value) {
        w(name, DEFAULTS, schema, value);
    }

    private void r(String name, Map<String, String> config, String input) {
        reads.add(new ReadCase(name, config, input == null ? null : input.getBytes(StandardCharsets.UTF_8)));
    }

    private void rBytes(String name, Map<String, String> config, byte[] input) {
        reads.add(new ReadCase(name, config, input));
    }

    @SafeVarargs
    private static <K, V> LinkedHashMap<K, V> ordered(Map.Entry<K, V>... entries) {
        LinkedHashMap<K, V> m = new LinkedHashMap<>();
        for (Map.Entry<K, V> e : entries) m.put(e.getKey(), e.getValue());
        return m;
    }

    private static <K, V> Map.Entry<K, V> e(K k, V v) {
        return new java.util.AbstractMap.SimpleImmutableEntry<>(k, v);
    }

    private static byte[] range(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) i;
        return b;
    }

    private static final long DAY = 86_400_000L;

    // ---------------------------------------------------------------- cases

    private void primitives() {
        w("int8", Schema.INT8_SCHEMA, (byte) 42);
        w("int8_min", Schema.INT8_SCHEMA, Byte.MIN_VALUE);
        w("int8_max", Schema.INT8_SCHEMA, Byte.MAX_VALUE);
        w("int8_optional", Schema.OPTIONAL_INT8_SCHEMA, (byte) -1);
        w("int8_optional_null", Schema.OPTIONAL_INT8_SCHEMA, null);
        w("int16_min", Schema.INT16_SCHEMA, Short.MIN_VALUE);
        w("int16_max", Schema.INT16_SCHEMA, Short.MAX_VALUE);
        w("int16_optional_null", Schema.OPTIONAL_INT16_SCHEMA, null);
        w("int32_min", Schema.INT32_SCHEMA, Integer.MIN_VALUE);
        w("int32_max", Schema.INT32_SCHEMA, Integer.MAX_VALUE);
        w("int32_optional", Schema.OPTIONAL_INT32_SCHEMA, 0);
        w("int32_optional_null", Schema.OPTIONAL_INT32_SCHEMA, null);
        w("int64_min", Schema.INT64_SCHEMA, Long.MIN_VALUE);
        w("int64_max", Schema.INT64_SCHEMA, Long.MAX_VALUE);
        w("int64_zero", Schema.INT64_SCHEMA, 0L);
        w("int64_optional_null", Schema.OPTIONAL_INT64_SCHEMA, null);

        w("float32_1_5", Schema.FLOAT32_SCHEMA, 1.5f);
        w("float32_0_1", Schema.FLOAT32_SCHEMA, 0.1f);
        w("float32_neg_zero", Schema.FLOAT32_SCHEMA, -0.0f);
        w("float32_max", Schema.FLOAT32_SCHEMA, Float.MAX_VALUE);
        w("float32_min_subnormal", Schema.FLOAT32_SCHEMA, Float.MIN_VALUE);
        w("float32_1e7", Schema.FLOAT32_SCHEMA, 1.0e7f);
        w("float32_1234567", Schema.FLOAT32_SCHEMA, 1234567.0f);
        w("float32_0_001", Schema.FLOAT32_SCHEMA, 0.001f);
        w("float32_1e-4", Schema.FLOAT32_SCHEMA, 1.0e-4f);
        w("float32_nan", Schema.FLOAT32_SCHEMA, Float.NaN);
        w("float32_inf", Schema.FLOAT32_SCHEMA, Float.POSITIVE_INFINITY);
        w("float32_neg_inf", Schema.FLOAT32_SCHEMA, Float.NEGATIVE_INFINITY);
        w("float32_optional_null", Schema.OPTIONAL_FLOAT32_SCHEMA, null);

        w("float64_1_5", Schema.FLOAT64_SCHEMA, 1.5);
        w("float64_100", Schema.FLOAT64_SCHEMA, 100.0);
        w("float64_1e20", Schema.FLOAT64_SCHEMA, 1e20);
        w("float64_neg_zero", Schema.FLOAT64_SCHEMA, -0.0);
        w("float64_0_1", Schema.FLOAT64_SCHEMA, 0.1);
        w("float64_0_001", Schema.FLOAT64_SCHEMA, 0.001);
        w("float64_1e-4", Schema.FLOAT64_SCHEMA, 1e-4);
        w("float64_9999999", Schema.FLOAT64_SCHEMA, 9999999.0);
        w("float64_1e7", Schema.FLOAT64_SCHEMA, 1e7);
        w("float64_123456789_125", Schema.FLOAT64_SCHEMA, 123456789.125);
        w("float64_third", Schema.FLOAT64_SCHEMA, 1.0 / 3);
        w("float64_neg_large", Schema.FLOAT64_SCHEMA, -1.2345e300);
        w("float64_2pow53", Schema.FLOAT64_SCHEMA, 9007199254740992.0);
        w("float64_max", Schema.FLOAT64_SCHEMA, Double.MAX_VALUE);
        w("float64_min_normal", Schema.FLOAT64_SCHEMA, Double.MIN_NORMAL);
        w("float64_min_subnormal", Schema.FLOAT64_SCHEMA, Double.MIN_VALUE);
        w("float64_nan", Schema.FLOAT64_SCHEMA, Double.NaN);
        w("float64_inf", Schema.FLOAT64_SCHEMA, Double.POSITIVE_INFINITY);
        w("float64_neg_inf", Schema.FLOAT64_SCHEMA, Double.NEGATIVE_INFINITY);
        w("float64_optional_null", Schema.OPTIONAL_FLOAT64_SCHEMA, null);

        w("boolean_true", Schema.BOOLEAN_SCHEMA, true);
        w("boolean_false", Schema.BOOLEAN_SCHEMA, false);
        w("boolean_optional_null", Schema.OPTIONAL_BOOLEAN_SCHEMA, null);

        w("string_empty", Schema.STRING_SCHEMA, "");
        w("string_ascii", Schema.STRING_SCHEMA, "hello");
        w("string_unicode", Schema.STRING_SCHEMA, "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \ud83c\udf89");
        w("string_escapes", Schema.STRING_SCHEMA,
            "quote\" backslash\\ slash/ nl\n cr\r tab\t bs\b ff\f nul\u0000 x1f\u001f del\u007f");
        w("string_html", Schema.STRING_SCHEMA, "<a href=\"x\">&amp;</a>");
        w("string_line_separators", Schema.STRING_SCHEMA, "a\u2028b\u2029c");
        w("string_optional_null", Schema.OPTIONAL_STRING_SCHEMA, null);

        w("bytes_empty", Schema.BYTES_SCHEMA, new byte[0]);
        w("bytes", Schema.BYTES_SCHEMA, new byte[] {0, 1, 2, (byte) 0xff, (byte) 0xfe});
        w("bytes_100", Schema.BYTES_SCHEMA, range(100));
        w("bytes_bytebuffer", Schema.BYTES_SCHEMA, ByteBuffer.wrap(new byte[] {9, 8, 7}));
        w("bytes_optional_null", Schema.OPTIONAL_BYTES_SCHEMA, null);
    }

    private void logical() {
        Object[][] decimals = {
            {"decimal_s2_pos", 2, new BigDecimal("12.34")},
            {"decimal_s2_neg", 2, new BigDecimal("-12.34")},
            {"decimal_s2_zero", 2, new BigDecimal("0.00")},
            {"decimal_s0_zero", 0, BigDecimal.ZERO},
            {"decimal_s0_neg_one", 0, new BigDecimal("-1")},
            {"decimal_s0_128", 0, new BigDecimal("128")},
            {"decimal_s0_big", 0, new BigDecimal("123456789012345678901234567890")},
            {"decimal_s9_tiny", 9, new BigDecimal("0.000000001")},
            {"decimal_s10_zero", 10, BigDecimal.ZERO.setScale(10)},
            {"decimal_s6_small", 6, new BigDecimal("-0.000123")},
            {"decimal_neg_scale", -2, new BigDecimal(BigInteger.valueOf(12), -2)},
        };
        for (Object[] d : decimals) {
            Schema s = Decimal.schema((Integer) d[1]);
            w(d[0] + "_base64", DEFAULTS, s, d[2]);
            w(d[0] + "_numeric", NUMERIC, s, d[2]);
        }
        w("decimal_optional_null_base64", Decimal.builder(2).optional().build(), null);
        w("decimal_optional_null_numeric", NUMERIC, Decimal.builder(2).optional().build(), null);

        w("date_leap_day", Date.SCHEMA, new java.util.Date(19782L * DAY));
        w("date_epoch", Date.SCHEMA, new java.util.Date(0));
        w("date_before_epoch", Date.SCHEMA, new java.util.Date(-DAY));
        w("date_optional_null", Date.builder().optional().build(), null);
        w("time", Time.SCHEMA, new java.util.Date(49_530_123L));
        w("time_midnight", Time.SCHEMA, new java.util.Date(0));
        w("time_last_ms", Time.SCHEMA, new java.util.Date(DAY - 1));
        w("time_optional_null", Time.builder().optional().build(), null);
        w("timestamp", Timestamp.SCHEMA, new java.util.Date(19782L * DAY + 49_530_123L));
        w("timestamp_epoch", Timestamp.SCHEMA, new java.util.Date(0));
        w("timestamp_before_epoch", Timestamp.SCHEMA, new java.util.Date(-123_456_789_000L));
        w("timestamp_optional_null", Timestamp.builder().optional().build(), null);
    }

    static final Schema ADDRESS = SchemaBuilder.struct().name("com.acme.Address")
        .field("city", Schema.STRING_SCHEMA)
        .field("zip", Schema.OPTIONAL_STRING_SCHEMA)
        .build();
    static final Schema CUSTOMER = SchemaBuilder.struct().name("com.acme.Customer")
        .field("name", Schema.STRING_SCHEMA)
        .field("address", ADDRESS)
        .build();
    static final Schema ITEM = SchemaBuilder.struct().name("com.acme.Item")
        .field("sku", Schema.STRING_SCHEMA)
        .field("qty", Schema.INT32_SCHEMA)
        .build();
    static final Schema ORDER = SchemaBuilder.struct().name("com.acme.Order").version(3)
        .field("id", Schema.INT64_SCHEMA)
        .field("customer", CUSTOMER)
        .field("items", SchemaBuilder.array(ITEM).build())
        .field("note", SchemaBuilder.struct().optional().field("text", Schema.STRING_SCHEMA).build())
        .build();

    static final Schema ALL_TYPES = SchemaBuilder.struct().name("com.acme.AllTypes")
        .field("i8", Schema.INT8_SCHEMA)
        .field("i16", Schema.INT16_SCHEMA)
        .field("i32", Schema.INT32_SCHEMA)
        .field("i64", Schema.INT64_SCHEMA)
        .field("f32", Schema.FLOAT32_SCHEMA)
        .field("f64", Schema.FLOAT64_SCHEMA)
        .field("b", Schema.BOOLEAN_SCHEMA)
        .field("s", Schema.STRING_SCHEMA)
        .field("bytes", Schema.BYTES_SCHEMA)
        .field("dec", Decimal.schema(2))
        .field("date", Date.SCHEMA)
        .field("time", Time.SCHEMA)
        .field("ts", Timestamp.SCHEMA)
        .field("arr", SchemaBuilder.array(Schema.STRING_SCHEMA).build())
        .field("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build())
        .build();

    static Struct allTypes() {
        return new Struct(ALL_TYPES)
            .put("i8", (byte) -8).put("i16", (short) 1600).put("i32", -32).put("i64", 6_400_000_000L)
            .put("f32", 3.25f).put("f64", -0.5).put("b", true).put("s", "str")
            .put("bytes", new byte[] {1, 2, 3}).put("dec", new BigDecimal("-1.50"))
            .put("date", new java.util.Date(19782L * DAY)).put("time", new java.util.Date(1000))
            .put("ts", new java.util.Date(1_700_000_000_123L))
            .put("arr", List.of("x", "y"))
            .put("map", ordered(e("one", 1L), e("two", 2L)));
    }

    static final Schema OPTIONALS = SchemaBuilder.struct().name("com.acme.Optionals")
        .field("i8", Schema.OPTIONAL_INT8_SCHEMA)
        .field("i16", Schema.OPTIONAL_INT16_SCHEMA)
        .field("i32", Schema.OPTIONAL_INT32_SCHEMA)
        .field("i64", Schema.OPTIONAL_INT64_SCHEMA)
        .field("f32", Schema.OPTIONAL_FLOAT32_SCHEMA)
        .field("f64", Schema.OPTIONAL_FLOAT64_SCHEMA)
        .field("b", Schema.OPTIONAL_BOOLEAN_SCHEMA)
        .field("s", Schema.OPTIONAL_STRING_SCHEMA)
        .field("bytes", Schema.OPTIONAL_BYTES_SCHEMA)
        .field("dec", Decimal.builder(2).optional().build())
        .field("date", Date.builder().optional().build())
        .field("time", Time.builder().optional().build())
        .field("ts", Timestamp.builder().optional().build())
        .field("arr", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build())
        .field("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_INT64_SCHEMA).optional().build())
        .field("st", SchemaBuilder.struct().optional().field("x", Schema.INT32_SCHEMA).build())
        .build();

    static final Schema METADATA = SchemaBuilder.struct().name("com.acme.User").version(2).doc("A user of the shop.")
        .parameter("a.param", "1").parameter("connect.name", "com.acme.User").parameter("z", "last")
        .field("id", SchemaBuilder.int64().doc("primary key").build())
        .field("email", SchemaBuilder.string().optional().name("com.acme.Email").version(1).doc("may be absent")
            .parameter("format", "email").build())
        .build();

    static final Schema DEFAULTS_STRUCT = SchemaBuilder.struct().name("com.acme.Defaults")
        .field("req_int", SchemaBuilder.int32().defaultValue(42).build())
        .field("opt_str", SchemaBuilder.string().optional().defaultValue("n/a").build())
        .field("req_bool", SchemaBuilder.bool().defaultValue(true).build())
        .field("plain", Schema.OPTIONAL_INT64_SCHEMA)
        .build();

    static final Schema OPTIONAL_DEFAULT = SchemaBuilder.struct()
        .field("opt_int", SchemaBuilder.int32().optional().defaultValue(7).build())
        .build();

    static final Schema REQUIRED_DEFAULT = SchemaBuilder.struct()
        .field("req_int", SchemaBuilder.int32().defaultValue(7).build())
        .build();

    static final Schema POINT = SchemaBuilder.struct().name("com.acme.Point")
        .field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA).build();

    static final Schema DEFAULT_TYPES = SchemaBuilder.struct().name("com.acme.DefaultTypes")
        .field("i8", SchemaBuilder.int8().defaultValue((byte) -1).build())
        .field("i64", SchemaBuilder.int64().defaultValue(Long.MIN_VALUE).build())
        .field("f32", SchemaBuilder.float32().defaultValue(0.5f).build())
        .field("f64", SchemaBuilder.float64().defaultValue(1e20).build())
        .field("s", SchemaBuilder.string().defaultValue("d\u00e9faut").build())
        .field("bytes", SchemaBuilder.bytes().defaultValue(new byte[] {(byte) 0xca, (byte) 0xfe}).build())
        .field("dec", Decimal.builder(2).defaultValue(new BigDecimal("9.99")).build())
        .field("date", Date.builder().defaultValue(new java.util.Date(DAY * 365)).build())
        .field("time", Time.builder().defaultValue(new java.util.Date(3_600_000)).build())
        .field("ts", Timestamp.builder().defaultValue(new java.util.Date(1_000_000_000_000L)).build())
        .field("arr", SchemaBuilder.array(Schema.INT32_SCHEMA).defaultValue(List.of(1, 2)).build())
        .field("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA)
            .defaultValue(ordered(e("k", "v"))).build())
        // No struct-typed default: SchemaBuilder cannot validate one (the Struct's schema never
        // equals the builder), so Kafka Connect cannot build such a schema either.
        .build();

    private void complex() {
        w("array_int32", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), List.of(1, 2, 3));
        w("array_empty", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), List.of());
        w("array_optional_strings_with_null", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(),
            Arrays.asList("a", null, "c"));
        w("array_of_arrays", SchemaBuilder.array(SchemaBuilder.array(Schema.INT64_SCHEMA).build()).build(),
            List.of(List.of(1L), List.of(2L, 3L)));
        w("array_of_structs", SchemaBuilder.array(POINT).build(),
            List.of(new Struct(POINT).put("x", 1).put("y", 2), new Struct(POINT).put("x", -3).put("y", 4)));
        w("array_optional_null", SchemaBuilder.array(Schema.INT32_SCHEMA).optional().build(), null);

        Schema strInt = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build();
        w("map_string_int32_single", strInt, ordered(e("a", 1)));
        w("map_string_int32_sorted", strInt, ordered(e("a", 1), e("b", 2), e("c", 3)));
        w("map_empty", strInt, Map.of());
        w("map_int32_string", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build(),
            ordered(e(1, "one"), e(2, "two")));
        w("map_int64_boolean", SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.BOOLEAN_SCHEMA).build(),
            ordered(e(-5L, true), e(7L, false)));
        w("map_string_optional_null_value", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_INT32_SCHEMA).build(),
            ordered(e("k", (Integer) null)));
        w("map_string_struct", SchemaBuilder.map(Schema.STRING_SCHEMA, POINT).build(),
            ordered(e("origin", new Struct(POINT).put("x", 0).put("y", 0))));
        w("map_struct_key", SchemaBuilder.map(POINT, Schema.STRING_SCHEMA).build(),
            ordered(e(new Struct(POINT).put("x", 5).put("y", 6), "five-six")));
        w("map_optional_null", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).optional().build(), null);

        w("struct_all_types", ALL_TYPES, allTypes());
        w("struct_all_types_numeric", NUMERIC, ALL_TYPES, allTypes());
        w("struct_optional_fields_null", OPTIONALS, new Struct(OPTIONALS));
        w("struct_optional_fields_set", OPTIONALS, new Struct(OPTIONALS)
            .put("i8", (byte) 1).put("i16", (short) 2).put("i32", 3).put("i64", 4L)
            .put("f32", 5.5f).put("f64", 6.5).put("b", false).put("s", "")
            .put("bytes", new byte[0]).put("dec", new BigDecimal("0.01"))
            .put("date", new java.util.Date(0)).put("time", new java.util.Date(0)).put("ts", new java.util.Date(0))
            .put("arr", Arrays.asList((String) null)).put("map", ordered(e("n", (Long) null)))
            .put("st", new Struct(OPTIONALS.field("st").schema()).put("x", 9)));
        w("struct_nested", ORDER, new Struct(ORDER)
            .put("id", 1001L)
            .put("customer", new Struct(CUSTOMER).put("name", "Ada")
                .put("address", new Struct(ADDRESS).put("city", "Z\u00fcrich")))
            .put("items", List.of(new Struct(ITEM).put("sku", "A-1").put("qty", 2),
                new Struct(ITEM).put("sku", "B-2").put("qty", 1))));
        w("struct_metadata", METADATA, new Struct(METADATA).put("id", 7L).put("email", "ada@example.com"));
        w("struct_defaults_given", DEFAULTS_STRUCT, new Struct(DEFAULTS_STRUCT)
            .put("req_int", 1).put("opt_str", "x").put("req_bool", false).put("plain", 5L));
        w("struct_defaults_null_replace", DEFAULTS_STRUCT, new Struct(DEFAULTS_STRUCT));
        w("struct_optional_default_null_noreplace", NO_REPLACE, OPTIONAL_DEFAULT, new Struct(OPTIONAL_DEFAULT));
        w("struct_optional_default_null_replace", OPTIONAL_DEFAULT, new Struct(OPTIONAL_DEFAULT));
        w("struct_default_types", DEFAULT_TYPES, new Struct(DEFAULT_TYPES));
        w("struct_default_types_numeric", NUMERIC, DEFAULT_TYPES, new Struct(DEFAULT_TYPES));
        Schema optStruct = SchemaBuilder.struct().name("com.acme.Maybe").optional().field("a", Schema.INT32_SCHEMA).build();
        w("struct_optional_null", optStruct, null);
        Schema empty = SchemaBuilder.struct().build();
        w("struct_empty", empty, new Struct(empty));
        Schema order = SchemaBuilder.struct().field("z", Schema.INT32_SCHEMA).field("a", Schema.INT32_SCHEMA)
            .field("m", Schema.INT32_SCHEMA).build();
        w("struct_field_order", order, new Struct(order).put("z", 1).put("a", 2).put("m", 3));
        w("int32_default_null_replace", SchemaBuilder.int32().defaultValue(7).build(), null);
        w("int32_optional_default_null_noreplace", NO_REPLACE, SchemaBuilder.int32().optional().defaultValue(7).build(), null);
        w("string_as_key", Schema.STRING_SCHEMA, "order-1001");
    }

    private void schemaless() {
        Map<String, Object> nested = ordered(
            e("a", List.of(1L, 2.5, "three", true)),
            e("b", ordered(e("x", (Object) null), e("y", ordered()))),
            e("i", 42L),
            e("neg", -7L),
            e("s", "h\u00e9"));
        w("schemaless_envelope_map", DEFAULTS, null, nested);
        w("schemaless_envelope_string", DEFAULTS, null, "plain");
        w("schemaless_envelope_int64", DEFAULTS, null, 12L);
        w("schemaless_envelope_int_keys", DEFAULTS, null, ordered(e(1L, "a"), e(2L, "b")));
        w("noschema_schemaless_map", NO_SCHEMAS, null, nested);
        w("noschema_schemaless_list", NO_SCHEMAS, null, List.of(1L, "x", List.of()));
        w("noschema_schemaless_int_keys", NO_SCHEMAS, null, ordered(e(1L, "a"), e(2L, "b")));
        w("noschema_schemaless_float64", NO_SCHEMAS, null, 1.5);
        w("noschema_schemaless_float32", NO_SCHEMAS, null, 0.1f);
        w("noschema_schemaless_int8", NO_SCHEMAS, null, (byte) 5);
        w("noschema_schemaless_int32", NO_SCHEMAS, null, 5);
        w("noschema_schemaless_bool", NO_SCHEMAS, null, true);
        w("noschema_schemaless_bytes", NO_SCHEMAS, null, new byte[] {1, 2});
        w("noschema_struct_all_types", NO_SCHEMAS, ALL_TYPES, allTypes());
        w("noschema_struct_nested", NO_SCHEMAS, ORDER, new Struct(ORDER)
            .put("id", 1L)
            .put("customer", new Struct(CUSTOMER).put("name", "B")
                .put("address", new Struct(ADDRESS).put("city", "C").put("zip", "8000")))
            .put("items", List.of()));
        w("noschema_int32", NO_SCHEMAS, Schema.INT32_SCHEMA, 5);
        w("noschema_string", NO_SCHEMAS, Schema.STRING_SCHEMA, "s");
        w("noschema_optional_null", NO_SCHEMAS, Schema.OPTIONAL_STRING_SCHEMA, null);
        w("noschema_decimal_numeric", Map.of("schemas.enable", "false", "decimal.format", "NUMERIC"),
            Decimal.schema(3), new BigDecimal("-0.125"));
        w("tombstone", DEFAULTS, null, null);
        w("noschema_tombstone", NO_SCHEMAS, null, null);
    }

    private void writeErrors() {
        w("error_required_null", Schema.INT32_SCHEMA, null);
        w("error_struct_required_field_null", POINT, new Struct(POINT).put("x", 1));
        w("error_required_default_null_noreplace", NO_REPLACE, REQUIRED_DEFAULT, new Struct(REQUIRED_DEFAULT));
        w("error_decimal_scale_mismatch_base64", Decimal.schema(2), new BigDecimal("1.5"));
        w("decimal_scale_mismatch_numeric", NUMERIC, Decimal.schema(2), new BigDecimal("1.5"));
        w("error_date_with_time", Date.SCHEMA, new java.util.Date(DAY + 1));
        w("error_time_out_of_range", Time.SCHEMA, new java.util.Date(DAY + 1));
        w("error_wrong_type", Schema.INT32_SCHEMA, "12");
        w("error_wrong_type_in_struct", ITEM, new StructWithoutValidation(ITEM, "sku", "A", "qty", 2L).struct);
        w("error_schemaless_decimal", DEFAULTS, null, new BigDecimal("1.5"));
        w("error_schemaless_struct", DEFAULTS, null, new Struct(POINT).put("x", 1).put("y", 2));
        w("error_struct_mismatching_schema", ITEM, new Struct(POINT).put("x", 1).put("y", 2));
        w("error_array_null_element", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), Arrays.asList(1, null));
    }

    /** Builds a Struct holding a value of the wrong type, bypassing Struct.put's validation. */
    private static final class StructWithoutValidation {
        final Struct struct;

        StructWithoutValidation(Schema schema, Object... kv) {
            struct = new Struct(schema);
            try {
                java.lang.reflect.Field values = Struct.class.getDeclaredField("values");
                values.setAccessible(true);
                Object[] arr = (Object[]) values.get(struct);
                for (int i = 0; i < kv.length; i += 2) arr[schema.field((String) kv[i]).index()] = kv[i + 1];
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        }
    }

    private void readCases() {
        r("read_tombstone", DEFAULTS, null);
        r("read_noschema_tombstone", NO_SCHEMAS, null);
        r("read_plain_json_with_schemas_enabled", DEFAULTS, "{\"a\":1}");
        r("read_envelope_extra_field", DEFAULTS, "{\"schema\":null,\"payload\":1,\"x\":2}");
        r("read_envelope_missing_payload", DEFAULTS, "{\"schema\":null}");
        r("read_envelope_not_object", DEFAULTS, "[1,2]");
        r("read_envelope_null_literal", DEFAULTS, "null");
        r("read_empty", DEFAULTS, "");
        r("read_envelope_payload_first", DEFAULTS, "{\"payload\":5,\"schema\":{\"type\":\"int32\",\"optional\":false}}");
        r("read_envelope_whitespace", DEFAULTS,
            "\n  {\n    \"schema\" : { \"type\" : \"string\" } ,\n    \"payload\" : \"x\"\n  }\n");
        r("read_envelope_duplicate_payload", DEFAULTS, "{\"schema\":null,\"payload\":1,\"payload\":2}");
        r("read_envelope_schemaless_payload", DEFAULTS, "{\"schema\":null,\"payload\":{\"a\":[1,1.5,null]}}");
        r("read_syntax_error_eof", DEFAULTS, "{\"schema\":");
        r("read_syntax_error_char", DEFAULTS, "{\"schema\":null,\"payload\":[1,}");
        r("read_syntax_error_line2", DEFAULTS, "{\n  \"schema\": nul\n}");
        r("read_trailing_garbage", DEFAULTS, "{\"schema\":null,\"payload\":1} x");
        r("read_trailing_second_value", DEFAULTS, "{\"schema\":null,\"payload\":1}{}");
        r("read_unknown_type", DEFAULTS, "{\"schema\":{\"type\":\"uuid\"},\"payload\":\"x\"}");
        r("read_schema_no_type", DEFAULTS, "{\"schema\":{\"optional\":true},\"payload\":1}");
        r("read_schema_not_object", DEFAULTS, "{\"schema\":5,\"payload\":1}");
        r("read_schema_type_not_string", DEFAULTS, "{\"schema\":{\"type\":5},\"payload\":1}");
        r("read_schema_optional_string_true", DEFAULTS,
            "{\"schema\":{\"type\":\"int32\",\"optional\":\"true\"},\"payload\":1}");
        r("read_schema_params_non_string", DEFAULTS,
            "{\"schema\":{\"type\":\"int32\",\"parameters\":{\"a\":1}},\"payload\":1}");
        r("read_schema_params_empty", DEFAULTS,
            "{\"schema\":{\"type\":\"int32\",\"parameters\":{}},\"payload\":1}");
        r("read_schema_version_not_int", DEFAULTS,
            "{\"schema\":{\"type\":\"int32\",\"version\":\"2\",\"name\":5,\"doc\":true},\"payload\":1}");
        r("read_schema_ignores_unknown_keys", DEFAULTS,
            "{\"schema\":{\"type\":\"int32\",\"items\":7,\"fields\":\"x\",\"extra\":[1]},\"payload\":1}");
        r("read_array_no_items", DEFAULTS, "{\"schema\":{\"type\":\"array\"},\"payload\":[]}");
        r("read_array_null_items", DEFAULTS, "{\"schema\":{\"type\":\"array\",\"items\":null},\"payload\":[]}");
        r("read_map_no_keys", DEFAULTS, "{\"schema\":{\"type\":\"map\",\"values\":{\"type\":\"int32\"}},\"payload\":{}}");
        r("read_map_no_values", DEFAULTS, "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"}},\"payload\":{}}");
        r("read_struct_fields_not_array", DEFAULTS, "{\"schema\":{\"type\":\"struct\",\"fields\":{}},\"payload\":{}}");
        r("read_struct_no_fields", DEFAULTS, "{\"schema\":{\"type\":\"struct\"},\"payload\":{}}");
        r("read_struct_field_without_name", DEFAULTS,
            "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\"}]},\"payload\":{}}");
        r("read_struct_duplicate_field", DEFAULTS,
            "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"field\":\"a\"},"
                + "{\"type\":\"string\",\"field\":\"a\"}]},\"payload\":{}}");
        String ab = "{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"default\":5,\"field\":\"a\"},"
            + "{\"type\":\"string\",\"optional\":true,\"field\":\"b\"}]}";
        r("read_struct_missing_fields", DEFAULTS, "{\"schema\":" + ab + ",\"payload\":{}}");
        r("read_struct_extra_payload_key", DEFAULTS, "{\"schema\":" + ab + ",\"payload\":{\"a\":1,\"zzz\":[2],\"b\":\"x\"}}");
        r("read_struct_duplicate_payload_key", DEFAULTS, "{\"schema\":" + ab + ",\"payload\":{\"a\":1,\"a\":2}}");
        r("read_struct_payload_array", DEFAULTS, "{\"schema\":" + ab + ",\"payload\":[1]}");
        r("read_struct_missing_required", DEFAULTS,
            "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"field\":\"a\"}]},\"payload\":{}}");
        r("read_struct_nested_null_required", DEFAULTS,
            "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"struct\",\"field\":\"inner\",\"fields\":"
                + "[{\"type\":\"array\",\"items\":{\"type\":\"int64\"},\"field\":\"xs\"}]}]},"
                + "\"payload\":{\"inner\":{\"xs\":null}}}");
        r("read_null_for_required", DEFAULTS, "{\"schema\":{\"type\":\"int32\"},\"payload\":null}");
        r("read_optional_null", DEFAULTS, "{\"schema\":{\"type\":\"int32\",\"optional\":true},\"payload\":null}");
        r("read_default_top_level_null", DEFAULTS, "{\"schema\":{\"type\":\"int32\",\"default\":7},\"payload\":null}");
        r("read_default_noreplace", NO_REPLACE,
            "{\"schema\":{\"type\":\"int32\",\"optional\":true,\"default\":7},\"payload\":null}");
        r("read_default_noreplace_required", NO_REPLACE,
            "{\"schema\":{\"type\":\"int32\",\"default\":7},\"payload\":null}");
        r("read_default_invalid", DEFAULTS, "{\"schema\":{\"type\":\"int32\",\"default\":null},\"payload\":1}");
        String dec2 = "{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,"
            + "\"parameters\":{\"scale\":\"2\"}}";
        r("read_decimal_number_in_base64_config", DEFAULTS, "{\"schema\":" + dec2 + ",\"payload\":12.34}");
        r("read_decimal_number_scale_smaller", DEFAULTS, "{\"schema\":" + dec2 + ",\"payload\":12.5}");
        r("read_decimal_number_integer", NUMERIC, "{\"schema\":" + dec2 + ",\"payload\":12}");
        r("read_decimal_number_scale_larger", NUMERIC, "{\"schema\":" + dec2 + ",\"payload\":1.234}");
        r("read_decimal_number_exponent", NUMERIC, "{\"schema\":" + dec2 + ",\"payload\":1.5E+1}");
        r("read_decimal_bad_base64", DEFAULTS, "{\"schema\":" + dec2 + ",\"payload\":\"!!!\"}");
        r("read_decimal_base64_unpadded", DEFAULTS, "{\"schema\":" + dec2 + ",\"payload\":\"AIA\"}");
        r("read_decimal_boolean", DEFAULTS, "{\"schema\":" + dec2 + ",\"payload\":true}");
        r("read_decimal_no_scale", DEFAULTS,
            "{\"schema\":{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\"},\"payload\":\"AA==\"}");
        r("read_bytes_bad_base64", DEFAULTS, "{\"schema\":{\"type\":\"bytes\"},\"payload\":\"%%%\"}");
        r("read_bytes_number", DEFAULTS, "{\"schema\":{\"type\":\"bytes\"},\"payload\":5}");
        String date = "{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\",\"version\":1}";
        String time = "{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Time\",\"version\":1}";
        String ts = "{\"type\":\"int64\",\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1}";
        r("read_date_not_int", DEFAULTS, "{\"schema\":" + date + ",\"payload\":\"2024-01-01\"}");
        r("read_date_negative", DEFAULTS, "{\"schema\":" + date + ",\"payload\":-719162}");
        r("read_time_out_of_range", DEFAULTS, "{\"schema\":" + time + ",\"payload\":86400001}");
        r("read_time_full_day", DEFAULTS, "{\"schema\":" + time + ",\"payload\":86400000}");
        r("read_time_negative", DEFAULTS, "{\"schema\":" + time + ",\"payload\":-1}");
        r("read_timestamp_negative", DEFAULTS, "{\"schema\":" + ts + ",\"payload\":-1}");
        r("read_timestamp_float", DEFAULTS, "{\"schema\":" + ts + ",\"payload\":1.5}");
        r("read_int32_given_string", DEFAULTS, "{\"schema\":{\"type\":\"int32\"},\"payload\":\"12\"}");
        r("read_int8_overflow", DEFAULTS, "{\"schema\":{\"type\":\"int8\"},\"payload\":300}");
        r("read_int32_given_fraction", DEFAULTS, "{\"schema\":{\"type\":\"int32\"},\"payload\":1.9}");
        r("read_int64_overflow", DEFAULTS, "{\"schema\":{\"type\":\"int64\"},\"payload\":9223372036854775808}");
        r("read_string_given_number", DEFAULTS, "{\"schema\":{\"type\":\"string\",\"optional\":true},\"payload\":5}");
        r("read_boolean_given_string", DEFAULTS, "{\"schema\":{\"type\":\"boolean\"},\"payload\":\"true\"}");
        r("read_float32_given_nan_string", DEFAULTS, "{\"schema\":{\"type\":\"float\"},\"payload\":\"NaN\"}");
        r("read_float64_given_int", DEFAULTS, "{\"schema\":{\"type\":\"double\"},\"payload\":3}");
        r("read_float64_huge", DEFAULTS, "{\"schema\":{\"type\":\"double\"},\"payload\":1e400}");
        r("read_float32_precise", DEFAULTS, "{\"schema\":{\"type\":\"float\"},\"payload\":0.1000000014901161193847656}");
        r("read_float64_many_digits", DEFAULTS,
            "{\"schema\":{\"type\":\"double\"},\"payload\":3.141592653589793238462643383279502884197}");
        String intKeys = "{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"string\"}}";
        r("read_map_int_keys", DEFAULTS, "{\"schema\":" + intKeys + ",\"payload\":[[2,\"b\"],[1,\"a\"]]}");
        r("read_map_int_keys_given_object", DEFAULTS, "{\"schema\":" + intKeys + ",\"payload\":{\"1\":\"a\"}}");
        r("read_map_pair_wrong_length", DEFAULTS, "{\"schema\":" + intKeys + ",\"payload\":[[1,\"a\",3]]}");
        r("read_map_pair_not_array", DEFAULTS, "{\"schema\":" + intKeys + ",\"payload\":[1]}");
        r("read_map_string_keys_given_array", DEFAULTS,
            "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"string\"}},\"payload\":[]}");
        r("read_array_given_object", DEFAULTS,
            "{\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"payload\":{}}");
        r("read_string_escapes", DEFAULTS,
            "{\"schema\":{\"type\":\"string\"},\"payload\":\"\\u00e9\\ud83c\\udf89\\n\\/\\\"\\\\\\b\\f\\r\\t\\u0000\"}");

        r("read_noschema_object", NO_SCHEMAS,
            "{\"b\":true,\"i\":1,\"f\":1.5,\"s\":\"x\",\"n\":null,\"a\":[1,2.0,\"3\"],\"o\":{\"k\":{}}}");
        r("read_noschema_int", NO_SCHEMAS, "42");
        r("read_noschema_neg_zero_int", NO_SCHEMAS, "-0");
        r("read_noschema_float_exp", NO_SCHEMAS, "1e2");
        r("read_noschema_float_1_0", NO_SCHEMAS, "1.0");
        r("read_noschema_neg_zero", NO_SCHEMAS, "-0.0");
        r("read_noschema_int64_min", NO_SCHEMAS, "-9223372036854775808");
        r("read_noschema_bigint", NO_SCHEMAS, "12345678901234567890");
        r("read_noschema_leading_zeros", NO_SCHEMAS, "007");
        r("read_noschema_tiny", NO_SCHEMAS, "1e-400");
        r("read_noschema_huge", NO_SCHEMAS, "-1e400");
        r("read_noschema_string_escapes", NO_SCHEMAS, "\"\\u00e9\\ud83c\\udf89\\n\\/\"");
        r("read_noschema_null", NO_SCHEMAS, "null");
        r("read_noschema_empty", NO_SCHEMAS, "");
        r("read_noschema_whitespace", NO_SCHEMAS, "  \n\t ");
        r("read_noschema_envelope_like", NO_SCHEMAS, "{\"schema\":null,\"payload\":1}");
        r("read_noschema_duplicate_keys", NO_SCHEMAS, "{\"a\":1,\"a\":2}");
        r("read_noschema_trailing_garbage", NO_SCHEMAS, "1 x");
        rBytes("read_noschema_invalid_utf8", NO_SCHEMAS, new byte[] {'"', (byte) 0xff, '"'});
        r("read_noschema_control_char", NO_SCHEMAS, "\"a\nb\"");
        r("read_noschema_single_quotes", NO_SCHEMAS, "'a'");
        r("read_noschema_nan_token", NO_SCHEMAS, "NaN");
        r("read_noschema_plus_sign", NO_SCHEMAS, "+1");
        r("read_noschema_bad_escape", NO_SCHEMAS, "\"\\x\"");
        r("read_noschema_unterminated", NO_SCHEMAS, "[1, 2");
        r("read_noschema_depth_500", NO_SCHEMAS, "[".repeat(500) + "]".repeat(500));
        r("read_noschema_depth_501", NO_SCHEMAS, "[".repeat(501) + "]".repeat(501));
        r("read_noschema_depth_1000", NO_SCHEMAS, "[".repeat(1000) + "]".repeat(1000));
        r("read_noschema_depth_1001", NO_SCHEMAS, "[".repeat(1001) + "]".repeat(1001));
    }

    // ---------------------------------------------------------------- canonical form

    static JsonNode canonSchema(Schema s) {
        if (s == null) return F.nullNode();
        ObjectNode n = F.objectNode();
        n.put("type", s.type().getName());
        n.put("optional", s.isOptional());
        if (s.name() != null) n.put("name", s.name());
        if (s.version() != null) n.put("version", s.version());
        if (s.doc() != null) n.put("doc", s.doc());
        if (s.parameters() != null) {
            ObjectNode p = n.putObject("parameters");
            new TreeMap<>(s.parameters()).forEach(p::put);
        }
        if (s.defaultValue() != null) n.set("default", canonValue(s.defaultValue()));
        switch (s.type()) {
            case ARRAY -> n.set("items", canonSchema(s.valueSchema()));
            case MAP -> {
                n.set("keys", canonSchema(s.keySchema()));
                n.set("values", canonSchema(s.valueSchema()));
            }
            case STRUCT -> {
                ArrayNode fields = n.putArray("fields");
                for (Field f : s.fields()) {
                    ObjectNode fn = fields.addObject();
                    fn.put("name", f.name());
                    fn.set("schema", canonSchema(f.schema()));
                }
            }
            default -> { }
        }
        return n;
    }

    static JsonNode canonValue(Object v) {
        ObjectNode n = F.objectNode();
        if (v == null) return F.nullNode();
        if (v instanceof Byte b) n.put("int8", b.toString());
        else if (v instanceof Short s) n.put("int16", s.toString());
        else if (v instanceof Integer i) n.put("int32", i.toString());
        else if (v instanceof Long l) n.put("int64", l.toString());
        else if (v instanceof Float f) n.put("float32", String.format("%08x", Float.floatToRawIntBits(f)));
        else if (v instanceof Double d) n.put("float64", String.format("%016x", Double.doubleToRawLongBits(d)));
        else if (v instanceof Boolean b) n.put("boolean", b);
        else if (v instanceof String s) n.put("string", s);
        else if (v instanceof byte[] b) n.put("bytes", Base64.getEncoder().encodeToString(b));
        else if (v instanceof ByteBuffer bb) n.put("bytes", Base64.getEncoder().encodeToString(bb.array()));
        else if (v instanceof BigDecimal d) {
            ObjectNode dn = n.putObject("decimal");
            dn.put("unscaled", d.unscaledValue().toString());
            dn.put("scale", d.scale());
        } else if (v instanceof java.util.Date d) n.put("time_ms", Long.toString(d.getTime()));
        else if (v instanceof List<?> l) {
            ArrayNode a = n.putArray("array");
            for (Object o : l) a.add(canonValue(o));
        } else if (v instanceof Map<?, ?> m) {
            ArrayNode a = n.putArray("map");
            for (Map.Entry<?, ?> en : m.entrySet()) {
                ArrayNode pair = a.addArray();
                pair.add(canonValue(en.getKey()));
                pair.add(canonValue(en.getValue()));
            }
        } else if (v instanceof Struct st) {
            ArrayNode a = n.putArray("struct");
            for (Field f : st.schema().fields()) {
                ArrayNode pair = a.addArray();
                pair.add(f.name());
                pair.add(canonValue(st.getWithoutDefault(f.name())));
            }
        } else n.put("unknown", v.getClass().getName());
        return n;
    }

    static void putError(ObjectNode n, String prefix, Throwable t) {
        n.put(prefix, t.getMessage());
        n.put(prefix + "_class", t.getClass().getName());
        if (t.getCause() != null && t.getCause() != t) {
            String cause = String.valueOf(t.getCause().getMessage());
            n.put(prefix + "_cause", cause);
        }
    }

    static void putRead(ObjectNode n, String prefix, JsonConverter c, byte[] input) {
        try {
            SchemaAndValue sv = c.toConnectData(TOPIC, input);
            if (n.path("name").asText().startsWith("read_noschema_depth_")) {
                // Too deep to print; that it was accepted is the point.
                n.put(prefix + "_accepted", true);
                return;
            }
            ObjectNode out = n.putObject(prefix);
            out.set("schema", canonSchema(sv.schema()));
            out.set("value", canonValue(sv.value()));
        } catch (RuntimeException ex) {
            putError(n, prefix + "_error", ex);
        }
    }

    static JsonConverter converter(Map<String, String> config) {
        JsonConverter c = new JsonConverter();
        c.configure(config, false);
        return c;
    }

    static ObjectNode configNode(Map<String, String> config) {
        ObjectNode cfg = F.objectNode();
        new TreeMap<>(config).forEach(cfg::put);
        return cfg;
    }

    // ---------------------------------------------------------------- main

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Capture OUTPUT.json");
            System.exit(2);
        }
        Capture cap = new Capture();
        cap.primitives();
        cap.logical();
        cap.complex();
        cap.schemaless();
        cap.writeErrors();
        cap.readCases();

        ObjectNode root = F.objectNode();
        root.put("comment", "Generated by tests/vectors/jsonconverter/capture.sh from Kafka Connect's JsonConverter. Do not edit.");
        root.put("kafka_version", AppInfoParser.getVersion());
        root.put("java_version", System.getProperty("java.version"));

        java.util.Set<String> names = new java.util.HashSet<>();
        ArrayNode writes = root.putArray("write");
        for (WriteCase wc : cap.writes) {
            if (!names.add(wc.name)) throw new IllegalStateException("duplicate case " + wc.name);
            ObjectNode n = writes.addObject();
            n.put("name", wc.name);
            n.set("config", configNode(wc.config));
            JsonConverter c = converter(wc.config);
            byte[] out;
            try {
                out = c.fromConnectData(TOPIC, wc.schema, wc.value);
            } catch (RuntimeException ex) {
                putError(n, "error", ex);
                continue;
            }
            if (out == null) n.putNull("bytes");
            else n.put("bytes", new String(out, StandardCharsets.UTF_8));
            putRead(n, "read", c, out);
        }

        ArrayNode reads = root.putArray("read");
        for (ReadCase rc : cap.reads) {
            if (!names.add(rc.name)) throw new IllegalStateException("duplicate case " + rc.name);
            ObjectNode n = reads.addObject();
            n.put("name", rc.name);
            n.set("config", configNode(rc.config));
            if (rc.input == null) n.putNull("input");
            else if (isUtf8(rc.input)) n.put("input", new String(rc.input, StandardCharsets.UTF_8));
            else n.put("input_base64", Base64.getEncoder().encodeToString(rc.input));
            putRead(n, "read", converter(rc.config), rc.input);
        }

        // How this JVM prints floating-point numbers (Jackson uses Double.toString and Float.toString)
        // next to the shortest form that JDK 19+ prints (Jackson's Schubfach port).
        SplittableRandom rnd = new SplittableRandom(20240229);
        ArrayNode doubles = root.putArray("doubles");
        for (int i = 0; i < 400; i++) {
            double d;
            do {
                d = i % 2 == 0 ? Double.longBitsToDouble(rnd.nextLong())
                    : Double.parseDouble(rnd.nextInt(1, 100000) + "." + rnd.nextInt(0, 1000) + "E" + rnd.nextInt(-12, 12));
            } while (Double.isNaN(d) || Double.isInfinite(d));
            ObjectNode n = doubles.addObject();
            n.put("bits", String.format("%016x", Double.doubleToRawLongBits(d)));
            n.put("jvm", Double.toString(d));
            n.put("shortest", DoubleToDecimal.toString(d));
        }
        ArrayNode floats = root.putArray("floats");
        for (int i = 0; i < 400; i++) {
            float f;
            do {
                f = i % 2 == 0 ? Float.intBitsToFloat(rnd.nextInt())
                    : Float.parseFloat(rnd.nextInt(1, 10000) + "." + rnd.nextInt(0, 100) + "E" + rnd.nextInt(-8, 8));
            } while (Float.isNaN(f) || Float.isInfinite(f));
            ObjectNode n = floats.addObject();
            n.put("bits", String.format("%08x", Float.floatToRawIntBits(f)));
            n.put("jvm", Float.toString(f));
            n.put("shortest", FloatToDecimal.toString(f));
        }

        DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        new ObjectMapper().writer(pp).writeValue(new File(args[0]), root);
        System.err.printf("wrote %d write cases and %d read cases to %s%n", cap.writes.size(), cap.reads.size(), args[0]);
    }

    private static boolean isUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b));
            return true;
        } catch (java.nio.charset.CharacterCodingException ex) {
            return false;
        }
    }
}
