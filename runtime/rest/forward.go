package rest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"time"
)

// Leader tells where the cluster's leader is: its REST URL, whether this
// worker is it, and ok=false during a rebalance.
type Leader func() (url string, self, ok bool)

// forwardedHeader marks a request one worker forwarded to another; a
// forwarded request is never forwarded again.
const forwardedHeader = "X-Freshet-Forwarded-By"

// WithForwarding makes the server of a distributed worker send the writes
// on /connectors that reach a follower to the leader, which alone writes
// configs, and answer 409 while the cluster rebalances, as Kafka Connect
// does. The caller's credentials go along, so the leader authenticates and
// authorises the request as if it had come directly.
func WithForwarding(leader Leader) Option {
	return optionFunc(func(o *options) { o.leader = leader })
}

// Internal requests carry a signature, as Kafka Connect's do: an HMAC of
// the request under the cluster's session key, which the leader publishes in
// the config topic.
const (
	signatureHeader          = "X-Connect-Authorization"
	signatureAlgorithmHeader = "X-Connect-Request-Signature-Algorithm"
	signatureAlgorithm       = "HmacSHA256"
)

// SessionKeys returns the cluster's current session key and the one before
// it (nil when none), and ok=false while no key is known yet.
type SessionKeys func() (cur, prev []byte, ok bool)

// WithSessionKey makes a distributed worker sign the requests it forwards
// with the cluster's session key, and refuse (403) a forwarded request whose
// signature is missing or does not verify under the current or the previous
// key: only a worker of the cluster, which reads the key from the config
// topic, can make another act on a forwarded request.
func WithSessionKey(keys SessionKeys) Option {
	return optionFunc(func(o *options) { o.sessionKeys = keys })
}

// sign returns the base64 HMAC-SHA256 of the request's method, URI and body
// under key.
func sign(key []byte, method, uri string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(method))
	m.Write([]byte{'\n'})
	m.Write([]byte(uri))
	m.Write([]byte{'\n'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verifySignature checks a forwarded request's signature; on success the
// request's body is readable again.
func verifySignature(keys SessionKeys, r *http.Request) (ok bool, why string) {
	cur, prev, known := keys()
	if !known {
		return false, "this worker has not read the cluster's session key yet; retry shortly"
	}
	got := r.Header.Get(signatureHeader)
	if got == "" {
		return false, "internal request missing the " + signatureHeader + " signature"
	}
	if alg := r.Header.Get(signatureAlgorithmHeader); alg != signatureAlgorithm {
		return false, "internal request signed with unsupported algorithm " + alg
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false, "reading the request body: " + err.Error()
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	for _, k := range [][]byte{cur, prev} {
		if len(k) > 0 && hmac.Equal([]byte(got), []byte(sign(k, r.Method, r.URL.RequestURI(), body))) {
			return true, ""
		}
	}
	return false, "internal request has an invalid signature"
}

var forwardClient = &http.Client{
	Timeout: 90 * time.Second,
	Transport: &http.Transport{
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     time.Minute,
	},
}

// forward serves r by forwarding it when it is a write on /connectors and
// this worker does not lead; it reports whether it did.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, rt *route) bool {
	if s.opts.leader == nil || rt.method == http.MethodGet || !strings.HasPrefix(rt.pattern, "/connectors") ||
		strings.HasSuffix(rt.pattern, "/tasks/{task}/restart") {
		return false
	}
	if s.opts.sessionKeys != nil && r.Header.Get(forwardedHeader) != "" {
		if ok, why := verifySignature(s.opts.sessionKeys, r); !ok {
			writeError(w, errorf(http.StatusForbidden, "%s", why))
			return true
		}
	}
	// A rebalance takes moments: wait for it briefly rather than refuse.
	leaderURL, self, ok := s.opts.leader()
	for deadline := time.Now().Add(10 * time.Second); !ok && time.Now().Before(deadline) && r.Context().Err() == nil; {
		time.Sleep(20 * time.Millisecond)
		leaderURL, self, ok = s.opts.leader()
	}
	switch {
	case ok && self:
		return false
	case !ok || leaderURL == "":
		writeError(w, errorf(http.StatusConflict, "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."))
		return true
	case r.Header.Get(forwardedHeader) != "":
		writeError(w, errorf(http.StatusConflict, "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"))
		return true
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, errTooLarge())
		return true
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimSuffix(leaderURL, "/")+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "forward to the leader: %v", err))
		return true
	}
	for _, k := range []string{"Authorization", "Content-Type", "Accept"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set(forwardedHeader, s.opts.workerID)
	if s.opts.sessionKeys != nil {
		cur, _, known := s.opts.sessionKeys()
		if !known {
			writeError(w, errorf(http.StatusConflict, "Cannot complete request momentarily: this worker has not read the cluster's session key yet; retry shortly"))
			return true
		}
		req.Header.Set(signatureHeader, sign(cur, r.Method, r.URL.RequestURI(), body))
		req.Header.Set(signatureAlgorithmHeader, signatureAlgorithm)
	}
	resp, err := forwardClient.Do(req)
	if err != nil {
		writeError(w, errorf(http.StatusConflict, "Cannot complete request: the leader at %s did not answer (%v); retry once the cluster has rebalanced", leaderURL, err))
		return true
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Location", "WWW-Authenticate"} {
		if v := resp.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
	return true
}
