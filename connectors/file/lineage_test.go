package file_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// lineageLine is the documented shape of a line with lineage on.
type lineageLine struct {
	Value   json.RawMessage `json:"value"`
	Lineage struct {
		Topic            string  `json:"topic"`
		Partition        int32   `json:"partition"`
		Offset           int64   `json:"offset"`
		Timestamp        *string `json:"timestamp"`
		SchemaName       string  `json:"schema_name"`
		SchemaVersion    int     `json:"schema_version"`
		SchemaID         *int32  `json:"schema_id"`
		Connector        string  `json:"connector"`
		ConnectorVersion string  `json:"connector_version"`
	} `json:"_lineage"`
}

func TestSinkLineage(t *testing.T) {
	schema := sdk.NewStruct("com.example.Click").Version(3).
		Field("id", sdk.Int32Schema).
		Field("page", sdk.OptionalStringSchema).
		Build()
	st := sdk.NewStructValue(schema).Put("id", int32(7)).Put("page", "home")
	ts := time.Date(2024, 5, 1, 12, 30, 0, 123_000_000, time.FixedZone("CEST", 2*3600))

	for _, tc := range []struct {
		name               string
		rec                sdk.Record
		wantValue          string
		wantTime           string // "" for null
		wantSchema         string
		wantVersion        int
		connector, version string
	}{
		{
			name:      "struct with schema",
			rec:       sdk.Record{Topic: "clicks", Partition: 2, Offset: 41, Timestamp: ts, Value: st, ValueSchema: schema},
			wantValue: `{"id":7,"page":"home"}`, wantTime: "2024-05-01T10:30:00.123Z",
			wantSchema: "com.example.Click", wantVersion: 3,
			connector: "clicks-to-file", version: "0.1.0",
		},
		{
			name:      "string with tab and newline",
			rec:       sdk.Record{Topic: "t", Partition: 0, Offset: 0, Timestamp: ts, Value: "a\tb\nc", ValueSchema: sdk.StringSchema},
			wantValue: `"a\tb\nc"`, wantTime: "2024-05-01T10:30:00.123Z",
			connector: "c", version: "v",
		},
		{
			name:      "bytes as text, no timestamp, no connector",
			rec:       sdk.Record{Topic: "t", Partition: 9, Offset: 1 << 40, Value: sdk.Raw(`{"x":1}`)},
			wantValue: `"{\"x\":1}"`,
		},
		{
			name:      "tombstone",
			rec:       sdk.Record{Topic: "t", Offset: 5, Timestamp: ts},
			wantValue: `null`, wantTime: "2024-05-01T10:30:00.123Z",
		},
		{
			name:      "map without schema",
			rec:       sdk.Record{Topic: "t", Offset: 6, Timestamp: ts, Value: map[string]any{"b": 1.5, "a": true}},
			wantValue: `{"a":true,"b":1.5}`, wantTime: "2024-05-01T10:30:00.123Z",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]string{sdk.LineageEnableKey: "true"}
			if tc.connector != "" {
				cfg[sdk.TaskConfigConnectorName] = tc.connector
				cfg[sdk.TaskConfigConnectorVersion] = tc.version
			}
			task, path := startSink(t, cfg)
			if err := task.Put(context.Background(), []sdk.Record{tc.rec}); err != nil {
				t.Fatalf("put: %v", err)
			}
			out := readFile(t, path)
			if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
				t.Fatalf("want one line, got %q", out)
			}
			var got lineageLine
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("line is not JSON: %v: %q", err, out)
			}
			if string(got.Value) != tc.wantValue {
				t.Errorf("value = %s, want %s", got.Value, tc.wantValue)
			}
			l := got.Lineage
			if l.Topic != tc.rec.Topic || l.Partition != tc.rec.Partition || l.Offset != tc.rec.Offset {
				t.Errorf("coordinates = %s/%d/%d, want %s/%d/%d", l.Topic, l.Partition, l.Offset,
					tc.rec.Topic, tc.rec.Partition, tc.rec.Offset)
			}
			switch {
			case tc.wantTime == "" && l.Timestamp != nil:
				t.Errorf("timestamp = %q, want null", *l.Timestamp)
			case tc.wantTime != "" && (l.Timestamp == nil || *l.Timestamp != tc.wantTime):
				t.Errorf("timestamp = %v, want %q", l.Timestamp, tc.wantTime)
			}
			if l.SchemaName != tc.wantSchema || l.SchemaVersion != tc.wantVersion {
				t.Errorf("schema = %q v%d, want %q v%d", l.SchemaName, l.SchemaVersion, tc.wantSchema, tc.wantVersion)
			}
			if l.SchemaID != nil {
				t.Errorf("schema_id = %d, want absent", *l.SchemaID)
			}
			if l.Connector != tc.connector || l.ConnectorVersion != tc.version {
				t.Errorf("connector = %q %q, want %q %q", l.Connector, l.ConnectorVersion, tc.connector, tc.version)
			}
		})
	}
}

func TestSinkLineageWithCoordinates(t *testing.T) {
	task, path := startSink(t, map[string]string{
		sdk.LineageEnableKey:               "true",
		"freshet.file.include.coordinates": "true",
	})
	recs := []sdk.Record{{Topic: "t", Partition: 1, Offset: 3, Value: "x"}}
	if err := task.Put(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	want := `t/1/3` + "\t" + `{"value":"x","_lineage":{"topic":"t","partition":1,"offset":3,"timestamp":null,"connector":"","connector_version":""}}` + "\n"
	if got := readFile(t, path); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestSinkLineageOffByDefault(t *testing.T) {
	task, path := startSink(t, nil)
	if err := task.Put(context.Background(), []sdk.Record{{Topic: "t", Value: "plain"}}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "plain\n" {
		t.Errorf("got %q, want the bare value", got)
	}
}
