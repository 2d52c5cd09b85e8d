package distributed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestForwardedRequestsAuthenticated: a write through a follower reaches the
// leader signed with the session key the leader published in the config
// topic, while a request that only claims to be forwarded, unsigned or
// signed with a made-up key, is refused.
func TestForwardedRequestsAuthenticated(t *testing.T) {
	e := setup(t)
	ws := e.cluster(t, 2, nil)
	var cs clusterState
	e2etest.WaitFor(t, 60*time.Second, "a stable cluster of two", func() (bool, string) {
		if _, err := call("GET", ws[0].URL+"/cluster", nil, &cs); err != nil {
			return false, err.Error()
		}
		return cs.Stable && len(cs.Members) == 2, fmt.Sprintf("%+v", cs)
	})
	leader, follower := ws[0], ws[1]
	if "http://"+cs.Leader == follower.URL {
		leader, follower = follower, leader
	}
	cfg := func(name string) map[string]any {
		return map[string]any{"name": name, "config": map[string]string{
			"connector.class": "FileStreamSource", "file": "/dev/null", "topic": e2etest.UniqueName("dist-internal"), "tasks.max": "1"}}
	}
	name := e2etest.UniqueName("fwd")
	var code int
	var err error
	for range 50 {
		if code, err = call("POST", follower.URL+"/connectors", cfg(name), nil); err == nil && code != 409 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || code != 201 {
		t.Fatalf("create through the follower: %d %v", code, err)
	}
	for _, hdr := range []map[string]string{
		{"X-Freshet-Forwarded-By": "intruder"},
		{"X-Freshet-Forwarded-By": "intruder", "X-Connect-Authorization": "bm90IGEgc2lnbmF0dXJl", "X-Connect-Request-Signature-Algorithm": "HmacSHA256"},
	} {
		b, _ := json.Marshal(cfg(e2etest.UniqueName("forged")))
		req, _ := http.NewRequest("POST", leader.URL+"/connectors", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("forged internal request with %v: %d, want 403", hdr, resp.StatusCode)
		}
	}
}
