package kafka

import (
	"maps"
	"strings"
	"testing"
)

func TestParseJAAS(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		module   string
		options  map[string]string
		error    string // substring; empty: success
	}{
		{name: "plain", in: `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`,
			module: plainLoginModule, options: map[string]string{"username": "u", "password": "p"}},
		{name: "scram with token", in: `org.apache.kafka.common.security.scram.ScramLoginModule required username="tok-id" password="hmac" tokenauth="true";`,
			module: scramLoginModule, options: map[string]string{"username": "tok-id", "password": "hmac", "tokenauth": "true"}},
		{name: "escapes", in: `M required password="a\"b\\c\td\101\0" user='it\'s';`,
			module: "M", options: map[string]string{"password": "a\"b\\c\tdA\x00", "user": "it's"}},
		{name: "unquoted values and spacing", in: "  M   optional\n\tusername = u-1_$x  password=p.2 ;  ",
			module: "M", options: map[string]string{"username": "u-1_$x", "password": "p.2"}},
		{name: "comments", in: `M /* block */ required // line
			username="u"; // trailing`, module: "M", options: map[string]string{"username": "u"}},
		{name: "flag case", in: `M REQUIRED;`, module: "M", options: map[string]string{}},
		{name: "special characters in quotes", in: `M required password="p;a=s s//w*/d";`,
			module: "M", options: map[string]string{"password": "p;a=s s//w*/d"}},
		{name: "missing semicolon", in: `M required username="u"`, error: `expected ";" at the end of the login module`},
		{name: "two modules", in: `A required; B required;`, error: "expected exactly one login module, found 2"},
		{name: "empty", in: "  ", error: "expected exactly one login module, found 0"},
		{name: "bad flag", in: `M mandatory username="u";`, error: "expected a control flag"},
		{name: "no flag", in: `M;`, error: "expected a control flag"},
		{name: "no equals", in: `M required username "u";`, error: `expected "=" after option username at character 21`},
		{name: "no value", in: `M required username=;`, error: "expected a value for option username"},
		{name: "unterminated quote", in: `M required password="hunter2;`, error: "unterminated quoted string at character 21"},
		{name: "unterminated comment", in: `M required /* x`, error: "unterminated /* comment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseJAAS(tc.in)
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("error = %v, want %q", err, tc.error)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error shows a value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJAAS: %v", err)
			}
			if got.module != tc.module || !maps.Equal(got.options, tc.options) {
				t.Errorf("got %s %q, want %s %q", got.module, got.options, tc.module, tc.options)
			}
		})
	}
}
