package rest

import (
	"bytes"
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
