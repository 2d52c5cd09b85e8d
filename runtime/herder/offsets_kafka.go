package herder

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// KafkaGroupOffsets is GroupOffsets over a Kafka admin client.
type KafkaGroupOffsets struct {
	adm *kadm.Client
}

// NewKafkaGroupOffsets returns GroupOffsets that use adm.
func NewKafkaGroupOffsets(adm *kadm.Client) *KafkaGroupOffsets { return &KafkaGroupOffsets{adm: adm} }

// Fetch implements GroupOffsets.
func (k *KafkaGroupOffsets) Fetch(ctx context.Context, group string) (sdk.Offsets, error) {
	resp, err := k.adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	out := sdk.Offsets{}
	var errs []error
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			errs = append(errs, o.Err)
			return
		}
		if o.At >= 0 {
			out[sdk.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.At
		}
	})
	return out, errors.Join(errs...)
}

// Commit implements GroupOffsets. The group must have no members, which is
// so once the connector is STOPPED.
func (k *KafkaGroupOffsets) Commit(ctx context.Context, group string, offsets sdk.Offsets) error {
	os := kadm.Offsets{}
	for tp, at := range offsets {
		os.Add(kadm.Offset{Topic: tp.Topic, Partition: tp.Partition, At: at, LeaderEpoch: -1})
	}
	resp, err := k.adm.CommitOffsets(ctx, group, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("commit offsets of group %s: %w", group, err)
	}
	return nil
}

// Delete implements GroupOffsets.
func (k *KafkaGroupOffsets) Delete(ctx context.Context, group string, partitions []sdk.TopicPartition) error {
	if partitions == nil {
		resp, err := k.adm.DeleteGroups(ctx, group)
		if err == nil {
			err = resp.Error()
		}
		if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
			return fmt.Errorf("delete group %s: %w", group, err)
		}
		return nil
	}
	set := kadm.TopicsSet{}
	for _, tp := range partitions {
		set.Add(tp.Topic, tp.Partition)
	}
	resp, err := k.adm.DeleteOffsets(ctx, group, set)
	if err == nil {
		err = resp.Error()
	}
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return fmt.Errorf("delete offsets of group %s: %w", group, err)
	}
	return nil
}
