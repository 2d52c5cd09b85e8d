package config

import (
	"maps"
	"testing"
)

func TestApplyEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		props   map[string]string
		environ []string
		want    map[string]string
	}{
		{"defined key", nil, []string{"FRESHET_BOOTSTRAP_SERVERS=k:9092"}, map[string]string{"bootstrap.servers": "k:9092"}},
		{"overrides file value", map[string]string{"bootstrap.servers": "a:1"}, []string{"FRESHET_BOOTSTRAP_SERVERS=b:2"}, map[string]string{"bootstrap.servers": "b:2"}},
		{"freshet key, full name", nil, []string{"FRESHET_FRESHET_DATA_DIR=/d"}, map[string]string{"freshet.data.dir": "/d"}},
		{"freshet key, short name", nil, []string{"FRESHET_TASK_BUFFER_BYTES=1024"}, map[string]string{"freshet.task.buffer.bytes": "1024"}},
		{"unknown key maps _ to .", nil, []string{"FRESHET_PRODUCER_SASL_JAAS_CONFIG=x y;"}, map[string]string{"producer.sasl.jaas.config": "x y;"}},
		{"value keeps =", nil, []string{"FRESHET_SASL_JAAS_CONFIG=a=\"b\";"}, map[string]string{"sasl.jaas.config": `a="b";`}},
		{"key with _ present in props", map[string]string{"value.converter.some_flag": "false"}, []string{"FRESHET_VALUE_CONVERTER_SOME_FLAG=true"},
			map[string]string{"value.converter.some_flag": "true"}},
		{"key with _ absent", nil, []string{"FRESHET_VALUE_CONVERTER_SOME_FLAG=true"}, map[string]string{"value.converter.some.flag": "true"}},
		{"case-insensitive suffix", nil, []string{"FRESHET_Group_Id=g"}, map[string]string{"group.id": "g"}},
		{"dash in key", map[string]string{"my-key.x": "1"}, []string{"FRESHET_MY_KEY_X=2"}, map[string]string{"my-key.x": "2"}},
		{"defined key beats present look-alike", map[string]string{"group_id": "x"}, []string{"FRESHET_GROUP_ID=g"}, map[string]string{"group_id": "x", "group.id": "g"}},
		{"later wins", nil, []string{"FRESHET_GROUP_ID=a", "FRESHET_GROUP_ID=b"}, map[string]string{"group.id": "b"}},
		{"other variables ignored", map[string]string{"a": "1"}, []string{"PATH=/bin", "FRESHET_=x", "freshet_group_id=y", "FRESHETX=1", "NOEQUALS"}, map[string]string{"a": "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := maps.Clone(tc.props)
			got := ApplyEnv(tc.props, tc.environ)
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if !maps.Equal(tc.props, before) {
				t.Errorf("props modified: %q", tc.props)
			}
		})
	}
}
