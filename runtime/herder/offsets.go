package herder

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

var (
	// ErrNotStopped: offsets may be changed only while the connector is
	// STOPPED, so that no task commits over the change.
	ErrNotStopped = errors.New("connector is not stopped")
	// ErrInvalidOffsets: offsets the connector's kind cannot take.
	ErrInvalidOffsets = errors.New("invalid offsets")
)

// The keys of a sink connector's offsets, as Kafka Connect spells them.
const (
	KeyKafkaTopic     = "kafka_topic"
	KeyKafkaPartition = "kafka_partition"
	KeyKafkaOffset    = "kafka_offset"
)

// GroupOffsets reads and changes the committed offsets of a consumer group:
// a sink connector's positions. NewKafkaGroupOffsets is the Kafka one.
type GroupOffsets interface {
	// Fetch returns the group's committed offsets (none: empty).
	Fetch(ctx context.Context, group string) (sdk.Offsets, error)
	// Commit sets offsets, leaving other partitions as they are.
	Commit(ctx context.Context, group string, offsets sdk.Offsets) error
	// Delete removes the committed offsets of partitions; nil removes the
	// whole group.
	Delete(ctx context.Context, group string, partitions []sdk.TopicPartition) error
}

// UseOffsets gives the herder what the offsets endpoints read and change:
// the source position store and the sink consumer groups. Either may be nil
// (that kind's offsets are then unavailable). Call it before serving.
func (h *Herder) UseOffsets(source store.Offsets, sink GroupOffsets) {
	h.ext.mu.Lock()
	defer h.ext.mu.Unlock()
	h.ext.source, h.ext.sink = source, sink
}

func (h *Herder) offsetStores() (store.Offsets, GroupOffsets) {
	h.ext.mu.Lock()
	defer h.ext.mu.Unlock()
	return h.ext.source, h.ext.sink
}

// sinkGroup is the consumer group of a sink connector, as the worker names
// it: connect-<name>, unless consumer.override.group.id says otherwise.
func sinkGroup(c store.Connector) string {
	if g := c.Config["consumer.override.group.id"]; g != "" {
		return g
	}
	return "connect-" + c.Name
}

// offsetTarget looks a connector up for an offsets request.
func (h *Herder) offsetTarget(ctx context.Context, name string) (store.Connector, sdk.Kind, error) {
	c, ok, err := h.configs.Get(ctx, name)
	if err != nil {
		return c, "", err
	}
	if !ok {
		return c, "", fmt.Errorf("connector %s: %w", name, ErrNotFound)
	}
	p, err := h.plugins.Lookup(c.Config[worker.KeyConnectorClass])
	if err != nil {
		return c, "", fmt.Errorf("connector %s: %w", name, err)
	}
	return c, p.Kind, nil
}

// Offsets returns a connector's offsets the way GET
// /connectors/{name}/offsets shows them: a source connector's positions, or
// a sink's consumer group offsets as {kafka_topic, kafka_partition} →
// {kafka_offset}, sorted. It works in any state.
func (h *Herder) Offsets(ctx context.Context, name string) ([]sdk.Position, error) {
	c, kind, err := h.offsetTarget(ctx, name)
	if err != nil {
		return nil, err
	}
	source, sink := h.offsetStores()
	if kind == sdk.KindSource {
		if source == nil {
			return nil, fmt.Errorf("offsets of %s: this worker has no offset store", name)
		}
		return source.All(ctx, name)
	}
	if sink == nil {
		return nil, fmt.Errorf("offsets of %s: this worker has no Kafka admin client for consumer groups", name)
	}
	offs, err := sink.Fetch(ctx, sinkGroup(c))
	if err != nil {
		return nil, fmt.Errorf("offsets of %s: %w", name, err)
	}
	tps := slices.SortedFunc(maps.Keys(offs), func(a, b sdk.TopicPartition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	out := make([]sdk.Position, 0, len(tps))
	for _, tp := range tps {
		out = append(out, sdk.Position{
			Partition: map[string]any{KeyKafkaTopic: tp.Topic, KeyKafkaPartition: int64(tp.Partition)},
			Offset:    map[string]any{KeyKafkaOffset: offs[tp]},
		})
	}
	return out, nil
}

// AlterOffsets changes a STOPPED connector's offsets: a nil Offset resets
// that partition. Sink offsets use Kafka Connect's keys; source offsets are
// the connector's own partition and offset maps.
func (h *Herder) AlterOffsets(ctx context.Context, name string, positions []sdk.Position) error {
	if len(positions) == 0 {
		return fmt.Errorf("%w: Partitions / offsets need to be provided for an alter offsets request", ErrInvalidOffsets)
	}
	h.ops.Lock()
	defer h.ops.Unlock()
	c, kind, err := h.stoppedTarget(ctx, name)
	if err != nil {
		return err
	}
	source, sink := h.offsetStores()
	if kind == sdk.KindSource {
		if source == nil {
			return fmt.Errorf("alter offsets of %s: this worker has no offset store", name)
		}
		if err := source.Put(ctx, name, positions); err != nil {
			if errors.Is(err, store.ErrInvalid) {
				return fmt.Errorf("%w: %w", ErrInvalidOffsets, err)
			}
			return fmt.Errorf("alter offsets of %s: %w", name, err)
		}
		return nil
	}
	set, reset, err := sinkOffsets(positions)
	if err != nil {
		return err
	}
	if sink == nil {
		return fmt.Errorf("alter offsets of %s: this worker has no Kafka admin client for consumer groups", name)
	}
	group := sinkGroup(c)
	if len(set) > 0 {
		if err := sink.Commit(ctx, group, set); err != nil {
			return fmt.Errorf("alter offsets of %s: %w", name, err)
		}
	}
	if len(reset) > 0 {
		if err := sink.Delete(ctx, group, reset); err != nil {
			return fmt.Errorf("alter offsets of %s: %w", name, err)
		}
	}
	return nil
}

// ResetOffsets removes every offset of a STOPPED connector, so that it
// starts from scratch: a sink from auto.offset.reset, a source from wherever
// it starts without a position.
func (h *Herder) ResetOffsets(ctx context.Context, name string) error {
	h.ops.Lock()
	defer h.ops.Unlock()
	c, kind, err := h.stoppedTarget(ctx, name)
	if err != nil {
		return err
	}
	source, sink := h.offsetStores()
	if kind == sdk.KindSource {
		if source == nil {
			return fmt.Errorf("reset offsets of %s: this worker has no offset store", name)
		}
		return source.DeleteAll(ctx, name)
	}
	if sink == nil {
		return fmt.Errorf("reset offsets of %s: this worker has no Kafka admin client for consumer groups", name)
	}
	if err := sink.Delete(ctx, sinkGroup(c), nil); err != nil {
		return fmt.Errorf("reset offsets of %s: %w", name, err)
	}
	return nil
}

func (h *Herder) stoppedTarget(ctx context.Context, name string) (store.Connector, sdk.Kind, error) {
	c, kind, err := h.offsetTarget(ctx, name)
	if err != nil {
		return c, kind, err
	}
	if c.Target != store.TargetStopped {
		return c, kind, fmt.Errorf("connector %s is %s: %w", name, c.Target, ErrNotStopped)
	}
	return c, kind, nil
}

// sinkOffsets validates sink positions, Kafka Connect's way, and splits them
// into offsets to set and partitions to reset.
func sinkOffsets(positions []sdk.Position) (sdk.Offsets, []sdk.TopicPartition, error) {
	set := sdk.Offsets{}
	var reset []sdk.TopicPartition
	for _, p := range positions {
		topic, ok := p.Partition[KeyKafkaTopic].(string)
		_, hasPart := p.Partition[KeyKafkaPartition]
		if !ok || topic == "" || !hasPart {
			return nil, nil, fmt.Errorf("%w: The partition for a sink connector offset must contain the keys '%s' and '%s'",
				ErrInvalidOffsets, KeyKafkaTopic, KeyKafkaPartition)
		}
		part, ok := integer(p.Partition[KeyKafkaPartition])
		if !ok || part < 0 || part > math.MaxInt32 {
			return nil, nil, fmt.Errorf("%w: Partitions must be non-negative integers (got %v)", ErrInvalidOffsets, p.Partition[KeyKafkaPartition])
		}
		tp := sdk.TopicPartition{Topic: topic, Partition: int32(part)}
		if p.Offset == nil {
			reset = append(reset, tp)
			continue
		}
		raw, has := p.Offset[KeyKafkaOffset]
		if !has {
			return nil, nil, fmt.Errorf("%w: The offset for a sink connector should either be null or contain the key '%s'", ErrInvalidOffsets, KeyKafkaOffset)
		}
		off, ok := integer(raw)
		if !ok || off < 0 {
			return nil, nil, fmt.Errorf("%w: Offsets must be non-negative integers (got %v)", ErrInvalidOffsets, raw)
		}
		set[tp] = off
	}
	return set, reset, nil
}

// integer reads a JSON integer given as a number or a decimal string.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case string:
		var i int64
		_, err := fmt.Sscan(n, &i)
		return i, err == nil
	}
	return 0, false
}
