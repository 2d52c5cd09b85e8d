package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// keySessionKey is the config-topic record holding the cluster's session
// key, as Kafka Connect's KafkaConfigBackingStore writes it.
const keySessionKey = "session-key"

// SessionKey is the key the workers of a cluster sign and verify internal
// (forwarded) REST requests with. The leader writes a new one when it takes
// over; every worker reads it from the config topic.
type SessionKey struct {
	Key       []byte
	Algorithm string // e.g. HmacSHA256
	Created   time.Time
}

type sessionKeyValue struct {
	Key       string `json:"key"`
	Algorithm string `json:"algorithm"`
	Created   int64  `json:"creation-timestamp"`
}

// PutSessionKey writes the cluster's session key; only the leader writes
// it (as leader, see Lead).
func (s *KafkaConfigs) PutSessionKey(ctx context.Context, k SessionKey) error {
	v := sessionKeyValue{Key: base64.StdEncoding.EncodeToString(k.Key), Algorithm: k.Algorithm, Created: k.Created.UnixMilli()}
	if err := s.write(ctx, jsonRecord(keySessionKey, v)); err != nil {
		return fmt.Errorf("put session key: %w", err)
	}
	return nil
}

// SessionKeys returns the current session key and the one before it (a
// request signed just before the leader rotated the key is still good);
// ok is false until a key was read.
func (s *KafkaConfigs) SessionKeys() (cur, prev SessionKey, ok bool) {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	return s.session, s.prevSession, len(s.session.Key) > 0
}

// applySessionKey is called by apply, with the tail's lock held.
func (s *KafkaConfigs) applySessionKey(r *kgo.Record) {
	var v sessionKeyValue
	if r.Value == nil || json.Unmarshal(r.Value, &v) != nil {
		return
	}
	key, err := base64.StdEncoding.DecodeString(v.Key)
	if err != nil || len(key) == 0 {
		return
	}
	s.prevSession = s.session
	s.session = SessionKey{Key: key, Algorithm: v.Algorithm, Created: time.UnixMilli(v.Created)}
}
