package kafka

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func optName(opt any) string {
	if s, ok := opt.(string); ok {
		return s
	}
	name := runtime.FuncForPC(reflect.ValueOf(opt).Pointer()).Name()
	return name[strings.LastIndexByte(name, '.')+1:]
}

// equalOpt compares an OptValue with a wanted value, allowing for the
// integer widths OptValue reports.
func equalOpt(got, want any) bool {
	if reflect.DeepEqual(got, want) {
		return true
	}
	return fmt.Sprint(got) == fmt.Sprint(want) && reflect.TypeOf(want).Kind() >= reflect.Int && reflect.TypeOf(want).Kind() <= reflect.Int64
}

func TestConsumerOpts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  map[string]any
	}{
		{"group", props("group.id", "connect-orders", "group.instance.id", "worker-1", "session.timeout.ms", "45000",
			"heartbeat.interval.ms", "3000", "max.poll.interval.ms", "300000"), map[string]any{
			"ConsumerGroup": "connect-orders", "InstanceID": "worker-1", "SessionTimeout": 45 * time.Second,
			"HeartbeatInterval": 3 * time.Second, "RebalanceTimeout": 5 * time.Minute,
		}},
		{"no group", props(), map[string]any{"ConsumerGroup": ""}},
		{"fetch", props("fetch.max.bytes", "1048576", "max.partition.fetch.bytes", "262144", "fetch.min.bytes", "1", "fetch.max.wait.ms", "250"), map[string]any{
			"FetchMaxBytes": int32(1 << 20), "FetchMaxPartitionBytes": int32(256 << 10), "FetchMinBytes": int32(1), "FetchMaxWait": 250 * time.Millisecond,
		}},
		{"huge fetch", props("fetch.max.bytes", "209715200"), map[string]any{"FetchMaxBytes": int32(200 << 20), "BrokerMaxReadBytes": int32(200 << 20)}},
		{"read committed", props("isolation.level", "read_committed"), map[string]any{"FetchIsolationLevel": int8(1)}},
		{"read uncommitted", props("isolation.level", "READ_UNCOMMITTED"), map[string]any{"FetchIsolationLevel": int8(0)}},
		{"earliest", props("auto.offset.reset", "earliest"), map[string]any{"ConsumeResetOffset": kgo.NewOffset().AtStart()}},
		{"latest", props("auto.offset.reset", "latest"), map[string]any{"ConsumeResetOffset": kgo.NewOffset().AtEnd()}},
		{"none", props("auto.offset.reset", "none"), map[string]any{"ConsumeResetOffset": kgo.NoResetOffset()}},
		{"rack", props("client.rack", "use1-az1"), map[string]any{"Rack": "use1-az1"}},
		{"auto commit off", props("group.id", "g", "enable.auto.commit", "false"), map[string]any{"DisableAutoCommit": true}},
		{"auto commit on is the default", props("group.id", "g", "enable.auto.commit", "true", "auto.commit.interval.ms", "1000"), map[string]any{
			"DisableAutoCommit": false, "AutoCommitInterval": time.Second,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := ConsumerOpts(tc.props)
			cl := built(t, opts, err)
			for opt, want := range tc.want {
				if got := cl.OptValue(opt); !equalOpt(got, want) {
					t.Errorf("%s = %#v, want %#v", optName(opt), got, want)
				}
			}
		})
	}
}

func TestConsumerBalancers(t *testing.T) {
	opts, err := ConsumerOpts(props("group.id", "g", "partition.assignment.strategy",
		"org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor, roundrobin, sticky"))
	cl := built(t, opts, err)
	var names []string
	for _, b := range cl.OptValue(kgo.Balancers).([]kgo.GroupBalancer) {
		names = append(names, b.ProtocolName())
	}
	if got := strings.Join(names, ","); got != "range,cooperative-sticky,roundrobin,sticky" {
		t.Errorf("balancers %s", got)
	}
}

func TestConsumerOptsErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		error string
	}{
		{"reset", props("auto.offset.reset", "by_duration:P1D"), "String must be one of: earliest, latest, none"},
		{"isolation", props("isolation.level", "committed"), "String must be one of: read_uncommitted, read_committed"},
		{"assignor", props("partition.assignment.strategy", "com.example.MyAssignor"), "unknown assignor com.example.MyAssignor"},
		{"fetch wait", props("fetch.max.wait.ms", "1"), "franz-go's minimum is 10"},
		{"fetch bytes", props("fetch.max.bytes", "x"), "Not a number of type LONG"},
		{"heartbeat above session", props("group.id", "g", "session.timeout.ms", "1000", "heartbeat.interval.ms", "3000"),
			"kafka client options: heartbeat interval 3s is erroneously larger than the session timeout 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConsumerOpts(tc.props)
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Errorf("error = %v, want %q", err, tc.error)
			}
		})
	}
}
