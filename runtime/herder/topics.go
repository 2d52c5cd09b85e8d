package herder

import (
	"context"
	"maps"
	"slices"

	"github.com/freshet-dev/freshet/runtime/worker"
)

// OnTopicActive records that a task used a topic: a sink consumed from it, a
// source produced to it. GET /connectors/{name}/topics lists them (Kafka
// Connect's KIP-558). The worker calls it the first time a task sees a
// topic; repeated calls are cheap.
func (h *Herder) OnTopicActive(id worker.TaskID, topic string) {
	h.ext.mu.Lock()
	defer h.ext.mu.Unlock()
	if h.ext.topics == nil {
		h.ext.topics = map[string]map[string]bool{}
	}
	set := h.ext.topics[id.Connector]
	if set == nil {
		set = map[string]bool{}
		h.ext.topics[id.Connector] = set
	}
	set[topic] = true
}

// Topics returns the topics a connector used since it was created or its
// topics were reset, sorted. Like Kafka Connect, an unknown connector simply
// has none.
func (h *Herder) Topics(_ context.Context, name string) ([]string, error) {
	h.ext.mu.Lock()
	defer h.ext.mu.Unlock()
	return slices.Sorted(maps.Keys(h.ext.topics[name])), nil
}

// ResetTopics forgets the topics a connector used.
func (h *Herder) ResetTopics(_ context.Context, name string) error {
	h.ext.mu.Lock()
	defer h.ext.mu.Unlock()
	delete(h.ext.topics, name)
	return nil
}

// forgetTopics drops a deleted connector's topics.
func (h *Herder) forgetTopics(name string) { _ = h.ResetTopics(context.Background(), name) }
