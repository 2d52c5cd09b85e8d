package dlq

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMurmur2 uses the vectors of Kafka's UtilsTest.testMurmur2, and checks
// that a replayed keyed record lands where the Java and franz-go producers
// put it.
func TestMurmur2(t *testing.T) {
	for s, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		if got := int32(murmur2([]byte(s))); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", s, got, want)
		}
	}
	tp := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	for _, k := range []string{"a", "user-17", "order-123456", ""} {
		for _, n := range []int32{1, 3, 12} {
			var rr uint32
			want := tp.Partition(&kgo.Record{Key: []byte(k)}, int(n))
			if got := partitionFor(-1, []byte(k), n, &rr); got != int32(want) {
				t.Errorf("partitionFor(%q, %d) = %d, franz-go says %d", k, n, got, want)
			}
		}
	}
	var rr uint32
	if got := partitionFor(2, []byte("k"), 3, &rr); got != 2 {
		t.Errorf("original partition not kept: %d", got)
	}
	if got := partitionFor(5, nil, 3, &rr); got < 0 || got > 2 {
		t.Errorf("a vanished partition maps to %d", got)
	}
}
