// Package resttest replays a scripted sequence of REST calls against a
// Kafka Connect-compatible API and compares responses by shape. The same
// script (runtime/rest/testdata/kafka-connect/script.json) is recorded
// against Apache Kafka Connect by tests/e2e/rest and replayed against
// Freshet by runtime/rest's tests, which compare the two.
package resttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Script is a parsed script.json.
type Script struct {
	About string                       `json:"about"`
	Vars  map[string]map[string]string `json:"vars"` // target → name → value
	Steps []Step                       `json:"steps"`
}

// Step is one call and what is expected of it.
type Step struct {
	Name        string          `json:"name"`
	Method      string          `json:"method"`
	Path        string          `json:"path"`
	Status      int             `json:"status"`
	Body        json.RawMessage `json:"body,omitempty"`
	RawBody     *string         `json:"raw_body,omitempty"`
	ContentType string          `json:"content_type,omitempty"`
	SleepMS     int             `json:"sleep_ms,omitempty"`
	// Maps are JSON paths ("$", "config", "[].config", "*.info.config",
	// "offsets[].partition") of objects keyed by data: their keys are free.
	Maps []string `json:"maps,omitempty"`
	// Freshet, when set, is Freshet's deliberate departure from Kafka
	// Connect: the status it answers instead, and why.
	Freshet *Override `json:"freshet,omitempty"`
}

// Override is a deliberate difference from Kafka Connect.
type Override struct {
	Status int    `json:"status"`
	Why    string `json:"why"`
}

// Response is what one step got.
type Response struct {
	Name        string          `json:"name"`
	Status      int             `json:"status"`
	ContentType string          `json:"content_type,omitempty"`
	Location    string          `json:"location,omitempty"`
	Body        json.RawMessage `json:"body,omitempty"`
}

// Recording is a committed fixture: the responses of a real server.
type Recording struct {
	Source    string     `json:"source"`
	Recorded  string     `json:"recorded"`
	Responses []Response `json:"responses"`
}

// Load reads a script.
func Load(path string) (*Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Script
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &s, nil
}

// LoadRecording reads a recording.
func LoadRecording(path string) (*Recording, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Recording
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &r, nil
}

// Options adjust a run.
type Options struct {
	Target string // key into Script.Vars: "kafka-connect" or "freshet"
	ID     string // replaces {id}
	Sleep  bool   // honour sleep_ms (a real, asynchronous server needs it)
	Header http.Header
}

// Run replays the script against base and returns one response per step,
// normalised: {id} and the base URL put back as placeholders.
func (s *Script) Run(ctx context.Context, client *http.Client, base string, o Options) ([]Response, error) {
	base = strings.TrimSuffix(base, "/")
	vars := map[string]string{"id": o.ID}
	for k, v := range s.Vars[o.Target] {
		vars[k] = v
	}
	subst := func(in string) string {
		for k, v := range vars {
			in = strings.ReplaceAll(in, "{"+k+"}", v)
		}
		return in
	}
	var out []Response
	for _, st := range s.Steps {
		if o.Sleep && st.SleepMS > 0 {
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(time.Duration(st.SleepMS) * time.Millisecond):
			}
		}
		var body io.Reader
		ctype := st.ContentType
		switch {
		case st.RawBody != nil:
			body = strings.NewReader(subst(*st.RawBody))
		case len(st.Body) > 0:
			body = strings.NewReader(subst(string(st.Body)))
		}
		if body != nil && ctype == "" {
			ctype = "application/json"
		}
		req, err := http.NewRequestWithContext(ctx, st.Method, base+subst(st.Path), body)
		if err != nil {
			return out, fmt.Errorf("step %q: %w", st.Name, err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Accept", "application/json")
		for k, v := range o.Header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return out, fmt.Errorf("step %q: %w", st.Name, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return out, fmt.Errorf("step %q: %w", st.Name, err)
		}
		unsubst := func(in string) string {
			if o.ID != "" {
				in = strings.ReplaceAll(in, o.ID, "{id}")
			}
			return in
		}
		r := Response{Name: st.Name, Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
		if loc := resp.Header.Get("Location"); loc != "" {
			r.Location = unsubst(strings.Replace(loc, base, "{base}", 1))
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			if json.Valid(b) {
				r.Body = json.RawMessage(unsubst(string(b)))
			} else {
				q, _ := json.Marshal(string(b))
				r.Body = q // not JSON: kept as a string, which fails any shape check
			}
		}
		out = append(out, r)
	}
	return out, nil
}
