package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Config-topic record keys, as Kafka Connect's KafkaConfigBackingStore
// writes them.
const (
	keyConnector   = "connector-"
	keyTask        = "task-"
	keyCommit      = "commit-"
	keyTargetState = "target-state-"
	keyRestart     = "restart-connector-"
)

// RestartRequest is a restart-connector-<name> record: a restart that the
// workers running the connector's parts carry out.
type RestartRequest struct {
	Connector    string `json:"-"`
	IncludeTasks bool   `json:"include-tasks"`
	OnlyFailed   bool   `json:"only-failed"`
}

// ConfigEvents receives what a KafkaConfigs reads. Its methods are called
// from the reading goroutine with the store's lock held: they must not
// block or call the store.
type ConfigEvents interface {
	// ConfigChanged reports that a connector's config, target state or task
	// configs changed (or that it was deleted).
	ConfigChanged(connector string)
	// RestartRequested reports a restart request.
	RestartRequested(r RestartRequest)
}

// KafkaConfigs is a Configs kept in distributed mode's config topic, in
// Kafka Connect's record formats, so that a Kafka Connect cluster's topic
// can be read. It implements Syncer: reads return what the store has read
// so far.
type KafkaConfigs struct {
	t      *tail
	events ConfigEvents
	opts   []kgo.Opt

	wmu     sync.Mutex // serialises writes; guards leader and leadErr
	leader  *kgo.Client
	leadErr error

	// Guarded by t.mu.
	conns       map[string]map[string]string
	targets     map[string]TargetState
	tasks       map[string][]map[string]string
	pending     map[string]map[int]map[string]string
	session     SessionKey
	prevSession SessionKey
}

// NewKafkaConfigs opens the config topic with a client made from opts and
// reads it to its end. events may be nil.
func NewKafkaConfigs(ctx context.Context, opts []kgo.Opt, topic string, events ConfigEvents) (*KafkaConfigs, error) {
	s := &KafkaConfigs{events: events, opts: opts, conns: map[string]map[string]string{}, targets: map[string]TargetState{},
		tasks: map[string][]map[string]string{}, pending: map[string]map[int]map[string]string{}}
	t, err := newTail(topic, opts, s.apply)
	if err != nil {
		return nil, err
	}
	s.t = t
	if err := t.sync(ctx); err != nil {
		t.close()
		return nil, fmt.Errorf("read config topic %s: %w", topic, err)
	}
	return s, nil
}

type propsValue struct {
	Properties map[string]string `json:"properties"`
}

type targetValue struct {
	State   string `json:"state"`
	StateV2 string `json:"state.v2,omitempty"`
}

type commitValue struct {
	Tasks int `json:"tasks"`
}

// apply is called by the tail with its lock held.
func (s *KafkaConfigs) apply(r *kgo.Record) {
	key := string(r.Key)
	var name string
	switch {
	case strings.HasPrefix(key, keyConnector):
		name = key[len(keyConnector):]
		if r.Value == nil {
			delete(s.conns, name)
			delete(s.targets, name)
			delete(s.tasks, name)
			delete(s.pending, name)
			break
		}
		var v propsValue
		if json.Unmarshal(r.Value, &v) != nil {
			return
		}
		if v.Properties == nil {
			v.Properties = map[string]string{}
		}
		s.conns[name] = v.Properties
	case strings.HasPrefix(key, keyTargetState):
		name = key[len(keyTargetState):]
		if r.Value == nil {
			delete(s.targets, name)
			break
		}
		var v targetValue
		if json.Unmarshal(r.Value, &v) != nil {
			return
		}
		st := TargetState(v.StateV2)
		if st == "" {
			st = TargetState(v.State)
		}
		if st.valid() {
			s.targets[name] = st
		}
	case strings.HasPrefix(key, keyTask):
		rest := key[len(keyTask):]
		i := strings.LastIndexByte(rest, '-')
		if i < 0 {
			return
		}
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil || r.Value == nil {
			return
		}
		var v propsValue
		if json.Unmarshal(r.Value, &v) != nil {
			return
		}
		name = rest[:i]
		if s.pending[name] == nil {
			s.pending[name] = map[int]map[string]string{}
		}
		s.pending[name][n] = v.Properties
		return // invisible until the commit record
	case strings.HasPrefix(key, keyCommit):
		name = key[len(keyCommit):]
		var v commitValue
		if r.Value == nil || json.Unmarshal(r.Value, &v) != nil {
			return
		}
		tasks := make([]map[string]string, v.Tasks)
		for i := range tasks {
			tc, ok := s.pending[name][i]
			if !ok {
				tc, ok = taskAt(s.tasks[name], i)
			}
			if !ok {
				return // an inconsistent set: keep the last good one
			}
			tasks[i] = tc
		}
		delete(s.pending, name)
		s.tasks[name] = tasks
	case strings.HasPrefix(key, keyRestart):
		var v RestartRequest
		if r.Value == nil || json.Unmarshal(r.Value, &v) != nil {
			return
		}
		v.Connector = key[len(keyRestart):]
		if s.events != nil {
			s.events.RestartRequested(v)
		}
		return
	case key == keySessionKey:
		s.applySessionKey(r)
		return
	default:
		return // fencing records, logger levels: not ours yet
	}
	if s.events != nil {
		s.events.ConfigChanged(name)
	}
}

func taskAt(tasks []map[string]string, i int) (map[string]string, bool) {
	if i < len(tasks) {
		return tasks[i], true
	}
	return nil, false
}

func (s *KafkaConfigs) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.t.closed {
		return ErrClosed
	}
	return nil
}

// connector builds a Connector from the view; called with t.mu held.
func (s *KafkaConfigs) connector(name string) (Connector, bool) {
	cfg, ok := s.conns[name]
	if !ok {
		return Connector{}, false
	}
	c := Connector{Name: name, Config: cfg, Target: s.targets[name], Tasks: s.tasks[name]}
	if c.Target == "" {
		c.Target = TargetStarted
	}
	return cloneConnector(c), true
}

// List implements Configs.
func (s *KafkaConfigs) List(ctx context.Context) ([]Connector, error) {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	out := make([]Connector, 0, len(s.conns))
	for _, name := range slices.Sorted(maps.Keys(s.conns)) {
		c, _ := s.connector(name)
		out = append(out, c)
	}
	return out, nil
}

// Get implements Configs.
func (s *KafkaConfigs) Get(ctx context.Context, name string) (Connector, bool, error) {
	s.t.mu.Lock()
	defer s.t.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return Connector{}, false, fmt.Errorf("get connector %q: %w", name, err)
	}
	c, ok := s.connector(name)
	return c, ok, nil
}

// Put implements Configs. It writes the connector, task, commit and
// target-state records in one batch to the single partition, so readers see
// them in that order.
func (s *KafkaConfigs) Put(ctx context.Context, c Connector) error {
	if err := validConnector(&c); err != nil {
		return fmt.Errorf("put connector %q: %w", c.Name, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put connector %q: %w", c.Name, err)
	}
	cfg := c.Config
	if cfg == nil {
		cfg = map[string]string{}
	}
	recs := []*kgo.Record{jsonRecord(keyConnector+c.Name, propsValue{cfg})}
	for i, tc := range c.Tasks {
		if tc == nil {
			tc = map[string]string{}
		}
		recs = append(recs, jsonRecord(keyTask+c.Name+"-"+strconv.Itoa(i), propsValue{tc}))
	}
	recs = append(recs, jsonRecord(keyCommit+c.Name, commitValue{len(c.Tasks)}), targetRecord(c.Name, c.Target))
	if err := s.write(ctx, recs...); err != nil {
		return fmt.Errorf("put connector %q: %w", c.Name, err)
	}
	return nil
}

// Delete implements Configs: tombstones for the connector and its target
// state, as Kafka Connect writes.
func (s *KafkaConfigs) Delete(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete connector %q: %w", name, err)
	}
	if err := s.write(ctx, &kgo.Record{Key: []byte(keyConnector + name)}, &kgo.Record{Key: []byte(keyTargetState + name)}); err != nil {
		return fmt.Errorf("delete connector %q: %w", name, err)
	}
	return nil
}

// RequestRestart writes a restart-connector-<name> record.
func (s *KafkaConfigs) RequestRestart(ctx context.Context, r RestartRequest) error {
	if err := s.write(ctx, jsonRecord(keyRestart+r.Connector, r)); err != nil {
		return fmt.Errorf("request restart of %q: %w", r.Connector, err)
	}
	return nil
}

// Sync implements Syncer: it reads the topic to its current end.
func (s *KafkaConfigs) Sync(ctx context.Context) error {
	if err := s.t.sync(ctx); err != nil {
		return fmt.Errorf("sync connectors: %w", err)
	}
	return nil
}

// Close stops reading; later calls return ErrClosed. It is idempotent.
func (s *KafkaConfigs) Close() error {
	s.Follow()
	s.t.close()
	return nil
}

func targetRecord(name string, st TargetState) *kgo.Record {
	v := targetValue{State: string(st), StateV2: string(st)}
	if st == TargetStopped {
		v.State = string(TargetPaused) // what workers before STOPPED understand
	}
	return jsonRecord(keyTargetState+name, v)
}

func jsonRecord(key string, v any) *kgo.Record {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings and plain structs are marshalled here
	}
	return &kgo.Record{Key: []byte(key), Value: b}
}
