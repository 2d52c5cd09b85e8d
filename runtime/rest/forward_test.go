package rest_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/freshet-dev/freshet/runtime/rest"
)

// keyring is a worker's view of the cluster's session keys.
type keyring struct {
	mu        sync.Mutex
	cur, prev []byte
}

func (k *keyring) set(cur, prev string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.cur, k.prev = []byte(cur), []byte(prev)
}

func (k *keyring) keys() (cur, prev []byte, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cur, k.prev, len(k.cur) > 0
}

// Forwarded requests are signed with the session key and verified by the
// worker that receives them.
func TestForwardedRequestsSigned(t *testing.T) {
	leaderKeys, followerKeys := &keyring{}, &keyring{}
	leader := newEnv(t, rest.WithForwarding(func() (string, bool, bool) { return "", true, true }),
		rest.WithSessionKey(leaderKeys.keys))
	follower := newEnv(t, rest.WithForwarding(func() (string, bool, bool) { return leader.url, false, true }),
		rest.WithSessionKey(followerKeys.keys))
	create := func(name string) string {
		return fmt.Sprintf(`{"name":%q,"config":{"connector.class":"secret-sink","topics":"t","connection.url":"db:1"}}`, name)
	}
	for i, tc := range []struct {
		name             string
		leaderCur, prev  string
		followerKey      string
		wantCode         int
		wantBodyContains string
	}{
		{"same key", "k1", "", "k1", 201, ""},
		{"signed with the previous key just after rotation", "k2", "k1", "k1", 201, ""},
		{"wrong key", "k2", "k1", "stolen", 403, "invalid signature"},
		{"leader has no key yet", "", "", "k1", 403, "session key"},
		{"follower has no key yet", "k1", "", "", 409, "session key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaderKeys.set(tc.leaderCur, tc.prev)
			followerKeys.set(tc.followerKey, "")
			name := fmt.Sprintf("c%d", i)
			code, _, body := follower.do("POST", "/connectors", create(name))
			if code != tc.wantCode || !strings.Contains(body, tc.wantBodyContains) {
				t.Fatalf("create through the follower: %d %s; want %d containing %q", code, body, tc.wantCode, tc.wantBodyContains)
			}
			code, _, _ = leader.do("GET", "/connectors/"+name, "")
			if created := code == 200; created != (tc.wantCode == 201) {
				t.Fatalf("connector created at the leader: %v, want %v", created, tc.wantCode == 201)
			}
		})
	}

	// A request that claims to be forwarded but is not signed, or signed
	// badly, is refused; the same request unmarked goes through the normal
	// path.
	leaderKeys.set("k3", "")
	for _, hdr := range [][]string{
		{"X-Freshet-Forwarded-By", "w2"},
		{"X-Freshet-Forwarded-By", "w2", "X-Connect-Authorization", "AAAA", "X-Connect-Request-Signature-Algorithm", "HmacSHA256"},
		{"X-Freshet-Forwarded-By", "w2", "X-Connect-Authorization", "AAAA", "X-Connect-Request-Signature-Algorithm", "HmacMD5"},
	} {
		if code, _, body := leader.do("POST", "/connectors", create("forged"), hdr...); code != 403 {
			t.Fatalf("forged internal request %v: %d %s, want 403", hdr, code, body)
		}
	}
	if code, _, body := leader.do("POST", "/connectors", create("direct")); code != 201 {
		t.Fatalf("direct request to the leader: %d %s", code, body)
	}
}
