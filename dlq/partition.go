package dlq

// murmur2 is Kafka's key hash (org.apache.kafka.common.utils.Utils.murmur2),
// which the Java producer's default partitioner uses.
func murmur2(b []byte) uint32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	h := uint32(seed) ^ uint32(len(b))
	for len(b) >= 4 {
		k := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
		b = b[4:]
	}
	switch len(b) {
	case 3:
		h ^= uint32(b[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(b[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(b[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

// partitionFor picks the partition of a replayed record in a topic of n
// partitions: the one it failed at when that still exists, so per-key
// order holds; else where Kafka's default partitioner puts its key; else
// round robin (rr counts keyless records).
func partitionFor(orig int32, key []byte, n int32, rr *uint32) int32 {
	switch {
	case orig >= 0 && orig < n:
		return orig
	case key != nil:
		return int32((murmur2(key) & 0x7fffffff) % uint32(n))
	default:
		*rr++
		return int32(*rr % uint32(n))
	}
}
