package file_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/freshet-dev/freshet/connectors/file"
	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestPlugins(t *testing.T) {
	for _, tc := range []struct {
		plugin sdk.Plugin
		name   string
		kind   sdk.Kind
		alias  string
		keys   []string
	}{
		{file.SinkPlugin(), "file-sink", sdk.KindSink, "org.apache.kafka.connect.file.FileStreamSinkConnector",
			[]string{"file", "freshet.file.include.coordinates", "freshet.lineage.enable"}},
		{file.SourcePlugin(), "file-source", sdk.KindSource, "org.apache.kafka.connect.file.FileStreamSourceConnector",
			[]string{"file", "topic", "batch.size"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.plugin
			if p.Name != tc.name || p.Kind != tc.kind || !slices.Contains(p.Aliases, tc.alias) || p.Doc == "" || p.Version == "" {
				t.Errorf("plugin = %+v", p)
			}
			var keys []string
			for _, k := range p.Config.Keys() {
				keys = append(keys, k.Name)
				if k.Doc == "" {
					t.Errorf("key %s has no doc", k.Name)
				}
			}
			if !reflect.DeepEqual(keys, tc.keys) {
				t.Errorf("keys = %v, want %v", keys, tc.keys)
			}
			switch c := p.New().(type) {
			case sdk.SinkConnector:
				if tc.kind != sdk.KindSink || c.NewSinkTask() == nil {
					t.Error("sink connector mismatch")
				}
			case sdk.SourceConnector:
				if tc.kind != sdk.KindSource || c.NewSourceTask() == nil {
					t.Error("source connector mismatch")
				}
			default:
				t.Errorf("New returned %T", c)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		parse   func(map[string]string) (any, error)
		cfg     map[string]string
		want    any
		badKeys []string
	}{
		{"sink defaults to stdout", sink, map[string]string{}, file.SinkConfig{}, nil},
		{"sink with coordinates", sink, map[string]string{"file": "/tmp/x", "freshet.file.include.coordinates": "true"},
			file.SinkConfig{File: "/tmp/x", IncludeCoordinates: true}, nil},
		{"sink bad bool", sink, map[string]string{"freshet.file.include.coordinates": "yes"}, nil,
			[]string{"freshet.file.include.coordinates"}},
		{"source defaults", source, map[string]string{"file": "/tmp/in", "topic": "t"},
			file.SourceConfig{File: "/tmp/in", Topic: "t", BatchSize: 2000}, nil},
		{"source batch size", source, map[string]string{"file": "/tmp/in", "topic": "t", "batch.size": "10"},
			file.SourceConfig{File: "/tmp/in", Topic: "t", BatchSize: 10}, nil},
		{"source every problem at once", source, map[string]string{"topic": "", "batch.size": "0"}, nil,
			[]string{"file", "topic", "batch.size"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse(tc.cfg)
			var reported []string
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				for _, e := range j.Unwrap() {
					var ce *sdk.ConfigError
					if errors.As(e, &ce) {
						reported = append(reported, ce.Key)
					}
				}
			}
			if !reflect.DeepEqual(reported, tc.badKeys) {
				t.Fatalf("errors on keys %v, want %v (err: %v)", reported, tc.badKeys, err)
			}
			if err == nil && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("config = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func sink(m map[string]string) (any, error)   { return file.ParseSink(m) }
func source(m map[string]string) (any, error) { return file.ParseSource(m) }

func TestTaskConfigs(t *testing.T) {
	ctx := context.Background()
	sinkConn := file.SinkPlugin().New()
	if err := sinkConn.Start(ctx, map[string]string{"file": "/tmp/out"}); err != nil {
		t.Fatal(err)
	}
	got, _ := sinkConn.TaskConfigs(3)
	if len(got) != 3 || got[2]["file"] != "/tmp/out" {
		t.Errorf("sink task configs = %v, want 3 copies", got)
	}
	srcConn := file.SourcePlugin().New()
	if err := srcConn.Start(ctx, map[string]string{"file": "/tmp/in", "topic": "t"}); err != nil {
		t.Fatal(err)
	}
	got, _ = srcConn.TaskConfigs(8)
	if len(got) != 1 || got[0]["file"] != "/tmp/in" {
		t.Errorf("source task configs = %v, want exactly one", got)
	}
	if err := srcConn.Start(ctx, map[string]string{"topic": "t"}); err == nil {
		t.Error("source started without a file")
	}
}
