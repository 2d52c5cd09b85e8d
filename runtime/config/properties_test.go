package config

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestReadProperties(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want map[string]string
	}{
		{"equals", "a=1", map[string]string{"a": "1"}},
		{"colon", "a:1", map[string]string{"a": "1"}},
		{"blank separator", "a 1", map[string]string{"a": "1"}},
		{"blanks around separator", "a \t = \f 1", map[string]string{"a": "1"}},
		{"blank then colon", "a   :  1", map[string]string{"a": "1"}},
		{"second separator is value", "a==1", map[string]string{"a": "=1"}},
		{"leading blanks", "   \ta=1", map[string]string{"a": "1"}},
		{"trailing blanks kept", "a=1  ", map[string]string{"a": "1  "}},
		{"key only", "flag", map[string]string{"flag": ""}},
		{"empty key", "=v", map[string]string{"": "v"}},
		{"comments", "# c=1\n  ! d=2\na=1", map[string]string{"a": "1"}},
		{"hash inside value", "a=1 # not a comment", map[string]string{"a": "1 # not a comment"}},
		{"blank lines", "\n\n  \na=1\n\n", map[string]string{"a": "1"}},
		{"last wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"crlf and cr", "a=1\r\nb=2\rc=3", map[string]string{"a": "1", "b": "2", "c": "3"}},
		{"continuation", "a=one,\\\n    two,\\\n\tthree", map[string]string{"a": "one,two,three"}},
		{"continuation keeps comment marker", "a=x\\\n  #y", map[string]string{"a": "x#y"}},
		{"comment does not continue", "# c\\\na=1", map[string]string{"a": "1"}},
		{"even backslashes do not continue", "a=x\\\\\nb=2", map[string]string{"a": `x\`, "b": "2"}},
		{"continuation at end of input", "a=x\\", map[string]string{"a": "x"}},
		{"continuation then blank line", "a=x\\\n\nb=2", map[string]string{"a": "x", "b": "2"}},
		{"escaped separators in key", `a\=b\:c\ d=1`, map[string]string{"a=b:c d": "1"}},
		{"escapes", `a=\t\n\r\f\\\"\q`, map[string]string{"a": "\t\n\r\f\\\"q"}},
		{"unicode escape", `a=caf\u00e9`, map[string]string{"a": "café"}},
		{"surrogate pair", `a=\ud83d\ude00`, map[string]string{"a": "😀"}},
		{"utf-8 text", "ключ=значение", map[string]string{"ключ": "значение"}},
		{"empty", "", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadProperties(strings.NewReader(tc.in))
			if err != nil {
				t.Fatalf("ReadProperties: %v", err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadPropertiesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"short unicode escape", "a=1\nb=\\u12", 2, `malformed \uXXXX escape`},
		{"bad hex", "a=1\n\n# c\nb=x\\\n  \\u00zz", 4, `malformed \uXXXX escape`},
		{"escape in key", `\uZZZZ=1`, 1, `malformed \uXXXX escape`},
		{"invalid utf-8", "a=1\nb=\xff", 2, "invalid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadProperties(strings.NewReader(tc.in))
			se, ok := errors.AsType[*SyntaxError](err)
			if !ok {
				t.Fatalf("err = %v, want *SyntaxError", err)
			}
			if se.Line != tc.line || se.Msg != tc.msg {
				t.Errorf("got line %d %q, want line %d %q", se.Line, se.Msg, tc.line, tc.msg)
			}
		})
	}
}

func TestLoadProperties(t *testing.T) {
	got, err := LoadProperties("testdata/worker.properties")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bootstrap.servers":              "broker-1:9092,broker-2:9092",
		"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
		"offset.storage.file.filename":   "/var/lib/freshet/connect.offsets",
		"offset.flush.interval.ms":       "10000",
		"listeners":                      "http://0.0.0.0:8083",
		"plugin.path":                    "/opt/freshet/plugins, /usr/local/share/freshet",
		"config.providers":               "env,file",
		"config.providers.file.class":    FileProviderClass,
		"config.providers.env.class":     EnvVarProviderClass,
		"security.protocol":              "SASL_SSL",
		"sasl.mechanism":                 "SCRAM-SHA-512",
		"sasl.jaas.config":               `org.apache.kafka.common.security.scram.ScramLoginModule required username="connect" password="${file:/etc/freshet/secrets.properties:kafka.password}";`,
		"producer.linger.ms":             "20",
		"consumer.max.poll.records":      "500",
		"freshet.task.buffer.bytes":      "33554432",
	}
	if !maps.Equal(got, want) {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected key %q", k)
			}
		}
	}
}

func TestLoadPropertiesErrors(t *testing.T) {
	_, err := LoadProperties("testdata/bad_unicode.properties")
	if got, want := err.Error(), `testdata/bad_unicode.properties:line 3: malformed \uXXXX escape`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	_, err = LoadProperties("testdata/missing.properties")
	if err == nil || !strings.Contains(err.Error(), "testdata/missing.properties") {
		t.Errorf("error = %v, want one naming the missing file", err)
	}
}
