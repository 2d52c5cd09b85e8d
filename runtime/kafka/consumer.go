package kafka

import (
	"math"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const kgoMaxBrokerRead = 100 << 20 // franz-go's BrokerMaxReadBytes default

// ConsumerOpts returns ClientOpts plus the consumer keys:
//
//	group.id                   kgo.ConsumerGroup
//	group.instance.id          kgo.InstanceID (static membership)
//	session.timeout.ms         kgo.SessionTimeout
//	heartbeat.interval.ms      kgo.HeartbeatInterval
//	max.poll.interval.ms       kgo.RebalanceTimeout (what the Java client uses it for)
//	partition.assignment.strategy  kgo.Balancers: Kafka's assignor class names,
//	                           or range, roundrobin, sticky, cooperative-sticky
//	fetch.max.bytes            kgo.FetchMaxBytes
//	max.partition.fetch.bytes  kgo.FetchMaxPartitionBytes
//	fetch.min.bytes            kgo.FetchMinBytes
//	fetch.max.wait.ms          kgo.FetchMaxWait (at least 10, franz-go's limit)
//	isolation.level            kgo.FetchIsolationLevel: read_uncommitted, read_committed
//	auto.offset.reset          kgo.ConsumeResetOffset: earliest, latest, none
//	client.rack                kgo.Rack
//	enable.auto.commit=false   kgo.DisableAutoCommit
//	auto.commit.interval.ms    kgo.AutoCommitInterval
//
// Topics to consume are the caller's (kgo.ConsumeTopics); so are
// max.poll.records (the batch a caller asks PollRecords for) and the
// deserializers. A sink task's worker appends kgo.DisableAutoCommit after
// these options, so no config can turn auto commit on under it.
func ConsumerOpts(props map[string]string) ([]kgo.Opt, error) {
	r := newReader(props)
	opts := r.client()
	opts = append(opts, r.consumer()...)
	return r.done(opts)
}

func (r *reader) consumer() []kgo.Opt {
	var opts []kgo.Opt
	const wireMax = math.MaxInt32 * time.Millisecond

	if g := strings.TrimSpace(r.props["group.id"]); g != "" {
		opts = append(opts, kgo.ConsumerGroup(g))
	}
	if id := strings.TrimSpace(r.props["group.instance.id"]); id != "" {
		opts = append(opts, kgo.InstanceID(id))
	}
	if d, ok := r.millis("session.timeout.ms", 100*time.Millisecond, wireMax, "franz-go's minimum is 100"); ok {
		opts = append(opts, kgo.SessionTimeout(d))
	}
	if d, ok := r.millis("heartbeat.interval.ms", time.Millisecond, wireMax, ""); ok {
		opts = append(opts, kgo.HeartbeatInterval(d))
	}
	if d, ok := r.millis("max.poll.interval.ms", 100*time.Millisecond, wireMax, "franz-go's minimum is 100"); ok {
		opts = append(opts, kgo.RebalanceTimeout(d))
	}
	if _, ok := r.get("partition.assignment.strategy"); ok {
		var bals []kgo.GroupBalancer
		for _, s := range r.list("partition.assignment.strategy") {
			b := balancer(s)
			if b == nil {
				r.invalid("partition.assignment.strategy", "unknown assignor "+s+": use org.apache.kafka.clients.consumer.CooperativeStickyAssignor, StickyAssignor, RangeAssignor or RoundRobinAssignor")
				continue
			}
			bals = append(bals, b)
		}
		if len(bals) > 0 {
			opts = append(opts, kgo.Balancers(bals...))
		}
	}

	if n, ok := r.int32("fetch.max.bytes", 1, 1<<30, "franz-go's limit"); ok {
		opts = append(opts, kgo.FetchMaxBytes(n))
		if n > kgoMaxBrokerRead {
			opts = append(opts, kgo.BrokerMaxReadBytes(n))
		}
	}
	if n, ok := r.int32("max.partition.fetch.bytes", 1, 1<<30, "franz-go's limit"); ok {
		opts = append(opts, kgo.FetchMaxPartitionBytes(n))
	}
	if n, ok := r.int32("fetch.min.bytes", 0, math.MaxInt32, ""); ok {
		opts = append(opts, kgo.FetchMinBytes(n))
	}
	if d, ok := r.millis("fetch.max.wait.ms", 10*time.Millisecond, wireMax, "franz-go's minimum is 10"); ok {
		opts = append(opts, kgo.FetchMaxWait(d))
	}
	switch level, _ := r.oneOf("isolation.level", "read_uncommitted", "read_committed"); level {
	case "read_uncommitted":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	case "read_committed":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	switch reset, _ := r.oneOf("auto.offset.reset", "earliest", "latest", "none"); reset {
	case "earliest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	case "latest":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	case "none":
		opts = append(opts, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	}
	if rack := strings.TrimSpace(r.props["client.rack"]); rack != "" {
		opts = append(opts, kgo.Rack(rack))
	}
	if auto, ok := r.boolean("enable.auto.commit"); ok && !auto {
		opts = append(opts, kgo.DisableAutoCommit())
	}
	if d, ok := r.millis("auto.commit.interval.ms", 100*time.Millisecond, wireMax, "franz-go's minimum is 100"); ok {
		opts = append(opts, kgo.AutoCommitInterval(d))
	}
	return opts
}

func balancer(name string) kgo.GroupBalancer {
	short := name[strings.LastIndexByte(name, '.')+1:]
	switch strings.ToLower(short) {
	case "cooperativestickyassignor", "cooperative-sticky":
		return kgo.CooperativeStickyBalancer()
	case "stickyassignor", "sticky":
		return kgo.StickyBalancer()
	case "rangeassignor", "range":
		return kgo.RangeBalancer()
	case "roundrobinassignor", "roundrobin":
		return kgo.RoundRobinBalancer()
	}
	return nil
}
