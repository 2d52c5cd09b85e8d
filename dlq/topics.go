package dlq

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicInfo is what a metadata request says about a topic.
type topicInfo struct {
	id         string // base64 topic id; "" when the broker has none
	partitions []int32
}

// describe asks the cluster about topics, bypassing the client's metadata
// cache (which remembers for a while that a topic did not exist). Topics
// that do not exist are absent from the result.
func (d *Drainer) describe(ctx context.Context, topics ...string) (map[string]topicInfo, error) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, d.cl)
	if err != nil {
		return nil, fmt.Errorf("describe topics: %w", err)
	}
	out := map[string]topicInfo{}
	for _, t := range resp.Topics {
		if t.Topic == nil {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			if err == kerr.UnknownTopicOrPartition {
				continue
			}
			return nil, fmt.Errorf("describe %s: %w", *t.Topic, err)
		}
		info := topicInfo{}
		if t.TopicID != ([16]byte{}) {
			info.id = fmt.Sprintf("%x", t.TopicID)
		}
		for _, p := range t.Partitions {
			info.partitions = append(info.partitions, p.Partition)
		}
		out[*t.Topic] = info
	}
	return out, nil
}
