package resttest

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCompare: the comparison catches what would break a client, and
// tolerates what is data.
func TestCompare(t *testing.T) {
	kc := `{"name":"a","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[{"id":0,"state":"RUNNING"}],"type":"sink"}`
	for _, tc := range []struct {
		name, got string
		step      Step
		status    int
		want      string // "" = no difference
	}{
		{"same shape, other values", `{"name":"b","connector":{"state":"FAILED","worker_id":"x"},"tasks":[{"id":3,"state":"PAUSED"}],"type":"source"}`, Step{}, 200, ""},
		{"missing field", `{"name":"a","connector":{"state":"RUNNING"},"tasks":[],"type":"sink"}`, Step{}, 200, `field "worker_id" missing`},
		{"extra field", `{"name":"a","connector":{"state":"RUNNING","worker_id":"w","x":1},"tasks":[{"id":0,"state":"RUNNING"}],"type":"sink"}`, Step{}, 200, `extra field "x"`},
		{"wrong type", `{"name":"a","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[{"id":"0","state":"RUNNING"}],"type":"sink"}`, Step{}, 200, "string, want number"},
		{"order", `{"connector":{"state":"RUNNING","worker_id":"w"},"name":"a","tasks":[{"id":0,"state":"RUNNING"}],"type":"sink"}`, Step{}, 200, "out of Kafka Connect's order"},
		{"empty vs not", `{"name":"a","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[],"type":"sink"}`, Step{}, 200, "0 elements, want 1"},
		{"status", kc, Step{}, 201, "status 201, want 200"},
		{"keys are data in maps", `{"other":{"state":"RUNNING","worker_id":"w"}}`, Step{Maps: []string{"$"}}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := Response{Status: 200, ContentType: "application/json", Body: json.RawMessage(kc)}
			if tc.step.Maps != nil {
				want.Body = json.RawMessage(`{"a":{"state":"RUNNING","worker_id":"w"}}`)
			}
			got := Response{Status: tc.status, ContentType: "application/json", Body: json.RawMessage(tc.got)}
			d := strings.Join(Compare(tc.step, want, got, nil), "\n")
			if (tc.want == "") != (d == "") || !strings.Contains(d, tc.want) {
				t.Fatalf("differences %q, want %q", d, tc.want)
			}
		})
	}
}
