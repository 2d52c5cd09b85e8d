package config

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestLoadConnector(t *testing.T) {
	for _, tc := range []struct {
		file  string
		want  ConnectorFile
		error string // substring; empty: success
	}{
		{file: "connector.properties", want: ConnectorFile{Name: "local-file-sink", Config: map[string]string{
			"name": "local-file-sink", "connector.class": "FileStreamSink", "tasks.max": "1",
			"file": "/tmp/test.sink.txt", "topics": "connect-test",
		}}},
		{file: "connector_wrapped.json", want: ConnectorFile{Name: "orders-es", InitialState: "PAUSED", Config: map[string]string{
			"name":            "orders-es",
			"connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
			"tasks.max":       "2", "topics": "orders", "key.ignore": "true", "batch.size": "2000",
			"flush.timeout.ms": "1.5e4", "connection.url": "http://es:9200",
		}}},
		{file: "connector_flat.json", want: ConnectorFile{Name: "orders-pg", Config: map[string]string{
			"name": "orders-pg", "connector.class": "postgres", "tasks.max": "1", "topics": "orders", "auto.create": "false",
		}}},
		{file: "connector_saved_get.json", want: ConnectorFile{Name: "orders-es", Config: map[string]string{
			"name": "orders-es", "connector.class": "elasticsearch", "topics": "orders",
		}}},
		{file: "connector_sniffed.conf", want: ConnectorFile{Name: "sniffed", Config: map[string]string{
			"name": "sniffed", "connector.class": "file",
		}}},
		{file: "worker.properties", error: `testdata/worker.properties: connector name is missing: set "name"`},
		{file: "connector_mismatch.json", error: `config.name "b" does not match name "a"`},
		{file: "connector_nested.json", error: "not so for extra, topics"},
		{file: "connector_noname.json", error: `connector name is missing`},
		{file: "connector_badstate.json", error: `initial_state "RUNNABLE": must be RUNNING, PAUSED or STOPPED`},
		{file: "connector_syntax.json", error: "testdata/connector_syntax.json:line 5: invalid JSON"},
		{file: "nonexistent.json", error: "nonexistent.json: no such file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := LoadConnector("testdata/" + tc.file)
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) {
					t.Fatalf("error = %v, want one containing %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConnector: %v", err)
			}
			if got.Name != tc.want.Name || got.InitialState != tc.want.InitialState || !maps.Equal(got.Config, tc.want.Config) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLoadConnectorFile(t *testing.T) {
	name, cfg, err := LoadConnectorFile("testdata/connector_wrapped.json")
	if err != nil || name != "orders-es" || cfg["name"] != "orders-es" || cfg["tasks.max"] != "2" {
		t.Errorf("got %q %v %v", name, cfg, err)
	}
	_, _, err = LoadConnectorFile("testdata/connector_syntax.json")
	if _, ok := errors.AsType[*SyntaxError](err); !ok {
		t.Errorf("error = %v, want a *SyntaxError", err)
	}
}
