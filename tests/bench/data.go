package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Value kinds: plain JSON lines (read with StringConverter), and the same
// JSON in JsonConverter's schema envelope (for the sinks that need a schema).
const (
	kindPlain  = "plain"
	kindSchema = "schema"
)

const partitions = 3

// topicData is a topic the harness filled: o.records values of one kind and
// size.
type topicData struct {
	name  string
	bytes int64 // value bytes
}

// eventSchema is the JsonConverter schema of the generated events.
const eventSchema = `{"type":"struct","name":"bench.event","optional":false,"fields":[` +
	`{"field":"ts","type":"int64","optional":false},{"field":"event_id","type":"string","optional":false},` +
	`{"field":"customer_id","type":"string","optional":false},{"field":"pad","type":"string","optional":false}]}`

// generator makes the events: about size bytes of JSON payload each, with
// the time it was made (unix microseconds) in "ts", and pad text that
// compresses like real JSON events do (about 3:1), from a fixed seed.
type generator struct {
	rng  *rand.Rand
	kind string
	size int
	sb   strings.Builder
}

func newGenerator(kind string, size int) *generator {
	return &generator{rng: rand.New(rand.NewPCG(1, 2)), kind: kind, size: size}
}

var words = []string{"search", "page_view", "add_to_cart", "checkout", "return", "ios", "android", "web", "shoes", "bags", "GBP", "EUR"}

// payloadOverhead is the payload's length without the pad.
const payloadOverhead = len(`{"ts":1700000000000000,"event_id":"e-000000000","customer_id":"cust-000000","pad":""}`)

func (g *generator) value(i int, now time.Time) []byte {
	g.sb.Reset()
	n := max(g.size-payloadOverhead, 1)
	for g.sb.Len() < n {
		g.sb.WriteString(words[g.rng.IntN(len(words))])
		g.sb.WriteByte('-')
		g.sb.WriteString(strconv.Itoa(g.rng.IntN(100000)))
		g.sb.WriteByte(' ')
	}
	pad := g.sb.String()[:n]
	payload := fmt.Sprintf(`{"ts":%d,"event_id":"e-%09d","customer_id":"cust-%06d","pad":"%s"}`, now.UnixMicro(), i, i%10000, pad)
	if g.kind == kindSchema {
		return []byte(`{"schema":` + eventSchema + `,"payload":` + payload + `}`)
	}
	return []byte(payload)
}

func key(i int) []byte { return fmt.Appendf(nil, "cust-%06d", i%10000) }

// topicFor returns the topic of o.records events of this kind and size,
// producing it the first time it is asked for.
func topicFor(ctx context.Context, o options, kind string, size int) (topicData, error) {
	k := fmt.Sprintf("%s-%d", kind, size)
	if t, ok := o.topics[k]; ok {
		return t, nil
	}
	name := fmt.Sprintf("bench-%s-%d-%d", kind, size, time.Now().UnixNano())
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.bootstrap), kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		return topicData{}, err
	}
	defer cl.Close()
	if err := createTopic(ctx, cl, name); err != nil {
		return topicData{}, err
	}
	logf("producing %d %s records of %d B to %s", o.records, kind, size, name)
	g := newGenerator(kind, size)
	var total int64
	errc := make(chan error, 1)
	now := time.Now()
	for i := range o.records {
		v := g.value(i, now)
		total += int64(len(v))
		cl.Produce(ctx, &kgo.Record{Topic: name, Key: key(i), Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errc <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return topicData{}, err
	}
	select {
	case err := <-errc:
		return topicData{}, fmt.Errorf("produce: %w", err)
	default:
	}
	t := topicData{name: name, bytes: total}
	o.topics[k] = t
	return t, nil
}

func createTopic(ctx context.Context, cl *kgo.Client, name string) error {
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w", name, err)
	}
	return nil
}

// producePaced sends events at rate records/s for d to a new topic's
// partitions, with the record timestamp and "ts" both the send time. It
// returns the records and value bytes sent.
func producePaced(ctx context.Context, o options, topic, kind string, size, rate int, d time.Duration) (int64, int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.bootstrap), kgo.DefaultProduceTopic(topic))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	g := newGenerator(kind, size)
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var sent, nbytes int64
	errc := make(chan error, 1)
	for {
		now := time.Now()
		el := now.Sub(start)
		if el >= d {
			break
		}
		for target := int64(el.Seconds() * float64(rate)); sent < target; sent++ {
			v := g.value(int(sent), now)
			nbytes += int64(len(v))
			cl.Produce(ctx, &kgo.Record{Key: key(int(sent)), Value: v, Timestamp: now}, func(_ *kgo.Record, err error) {
				if err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			})
		}
		select {
		case <-ctx.Done():
			return sent, nbytes, ctx.Err()
		case <-tick.C:
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return sent, nbytes, err
	}
	select {
	case err := <-errc:
		return sent, nbytes, fmt.Errorf("produce: %w", err)
	default:
	}
	return sent, nbytes, nil
}

// parseTS returns the "ts" of an event (plain or enveloped), or 0.
func parseTS(line []byte) int64 {
	i := bytes.Index(line, []byte(`"ts":`))
	if i < 0 {
		return 0
	}
	var ts int64
	for _, c := range line[i+5:] {
		if c < '0' || c > '9' {
			break
		}
		ts = ts*10 + int64(c-'0')
	}
	return ts
}
