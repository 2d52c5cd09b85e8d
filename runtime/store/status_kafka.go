package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Status is one connector's or task's status in the status topic, as Kafka
// Connect's KafkaStatusBackingStore writes it.
type Status struct {
	State      string `json:"state"`
	Trace      string `json:"trace,omitempty"`
	WorkerID   string `json:"worker_id"`
	Generation int32  `json:"generation"`
}

// KafkaStatuses keeps every worker's connector and task statuses in the
// status topic. Writes are asynchronous: a status is a report, and the next
// one replaces it.
type KafkaStatuses struct {
	t *tail
	// Guarded by t.mu.
	conns map[string]Status
	tasks map[string]map[int]Status
}

const (
	keyStatusConnector = "status-connector-"
	keyStatusTask      = "status-task-"
)

// NewKafkaStatuses opens the status topic and reads it to its end.
func NewKafkaStatuses(ctx context.Context, opts []kgo.Opt, topic string) (*KafkaStatuses, error) {
	s := &KafkaStatuses{conns: map[string]Status{}, tasks: map[string]map[int]Status{}}
	t, err := newTail(topic, opts, s.apply)
	if err != nil {
		return nil, err
	}
	s.t = t
	if err := t.sync(ctx); err != nil {
		t.close()
		return nil, fmt.Errorf("read status topic %s: %w", topic, err)
	}
	return s, nil
}

// newer reports whether st may replace cur: a status from an older
// generation written by another worker is a zombie's, and ignored.
func newer(cur Status, had bool, st Status) bool {
	return !had || st.Generation >= cur.Generation || st.WorkerID == cur.WorkerID
}

func (s *KafkaStatuses) apply(r *kgo.Record) {
	key := string(r.Key)
	var st Status
	if r.Value != nil && json.Unmarshal(r.Value, &st) != nil {
		return
	}
	switch {
	case strings.HasPrefix(key, keyStatusConnector):
		name := key[len(keyStatusConnector):]
		if r.Value == nil {
			delete(s.conns, name)
			delete(s.tasks, name)
			return
		}
		if cur, had := s.conns[name]; newer(cur, had, st) {
			s.conns[name] = st
		}
	case strings.HasPrefix(key, keyStatusTask):
		rest := key[len(keyStatusTask):]
		i := strings.LastIndexByte(rest, '-')
		if i < 0 {
			return
		}
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			return
		}
		name := rest[:i]
		if r.Value == nil {
			delete(s.tasks[name], n)
			return
		}
		if s.tasks[name] == nil {
			s.tasks[name] = map[int]Status{}
		}
		if cur, had := s.tasks[name][n]; newer(cur, had, st) {
			s.tasks[name][n] = st
		}
	}
}

// PutConnector reports a connector's status.
func (s *KafkaStatuses) PutConnector(name string, st Status) {
	s.t.writeAsync(jsonRecord(keyStatusConnector+name, st))
}

// PutTask reports a task's status.
func (s *KafkaStatuses) PutTask(name string, task int, st Status) {
	s.t.writeAsync(jsonRecord(keyStatusTask+name+"-"+strconv.Itoa(task), st))
}

// Delete removes a connector's statuses (tasks below n).
func (s *KafkaStatuses) Delete(name string, n int) {
	recs := []*kgo.Record{{Key: []byte(keyStatusConnector + name)}}
	for i := range n {
		recs = append(recs, &kgo.Record{Key: []byte(keyStatusTask + name + "-" + strconv.Itoa(i))})
	}
	s.t.writeAsync(recs...)
}

// Connector returns a connector's last status.
func (s *KafkaStatuses) Connector(name string) (Status, bool) {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	st, ok := s.conns[name]
	return st, ok
}

// Task returns a task's last status.
func (s *KafkaStatuses) Task(name string, task int) (Status, bool) {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	st, ok := s.tasks[name][task]
	return st, ok
}

// Flush waits until the statuses written so far are in Kafka.
func (s *KafkaStatuses) Flush(ctx context.Context) error { return s.t.cl.Flush(ctx) }

// Close stops reading. It is idempotent.
func (s *KafkaStatuses) Close() error {
	s.t.close()
	return nil
}
