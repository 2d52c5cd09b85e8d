package transform_test

import (
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/runtime/transform"
)

func TestPlugins(t *testing.T) {
	want := map[string]string{
		"org.apache.kafka.connect.transforms.InsertField$Key":              transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.InsertField$Value":            transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.ReplaceField$Key":             transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.ReplaceField$Value":           transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.ExtractField$Key":             transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.ExtractField$Value":           transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.ValueToKey":                   transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.TimestampRouter":              transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.RegexRouter":                  transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.Filter":                       transform.TypeTransformation,
		"org.apache.kafka.connect.transforms.predicates.TopicNameMatches":  transform.TypePredicate,
		"org.apache.kafka.connect.transforms.predicates.HasHeaderKey":      transform.TypePredicate,
		"org.apache.kafka.connect.transforms.predicates.RecordIsTombstone": transform.TypePredicate,
	}
	got := map[string]string{}
	for _, p := range transform.Plugins() {
		if p.Def == nil {
			t.Errorf("%s has no ConfigDef", p.Class)
		}
		got[p.Class] = p.Type
	}
	equal(t, "plugins", got, want)

	keys := map[string][]string{
		"org.apache.kafka.connect.transforms.InsertField$Value": {"topic.field", "partition.field", "offset.field",
			"timestamp.field", "static.field", "static.value", "replace.null.with.default"},
		"org.apache.kafka.connect.transforms.RegexRouter":                 {"regex", "replacement"},
		"org.apache.kafka.connect.transforms.TimestampRouter":             {"topic.format", "timestamp.format"},
		"org.apache.kafka.connect.transforms.predicates.TopicNameMatches": {"pattern"},
	}
	for _, p := range transform.Plugins() {
		want, ok := keys[p.Class]
		if !ok {
			continue
		}
		var names []string
		for _, k := range p.Def.Keys() {
			names = append(names, k.Name)
			if strings.HasPrefix(k.Name, "transforms.") || k.Doc == "" {
				t.Errorf("%s key %q: prefixed or undocumented", p.Class, k.Name)
			}
		}
		equal(t, p.Class+" keys", names, want)
	}
}

func TestPluginDefValidates(t *testing.T) {
	// The REST validate endpoint runs a plugin's Def on the unprefixed keys.
	for _, p := range transform.Plugins() {
		if p.Class != "org.apache.kafka.connect.transforms.RegexRouter" {
			continue
		}
		var errs []string
		for _, v := range p.Def.Validate(map[string]string{"regex": "a(?!b)"}) {
			errs = append(errs, v.Errors...)
		}
		if len(errs) != 2 { // bad regex, missing replacement
			t.Errorf("validate errors = %q", errs)
		}
	}
}
