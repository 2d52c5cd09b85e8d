package lineage

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// env is what the test needs from its environment: the binary, Kafka,
// PostgreSQL and Redis.
type env struct {
	*e2etest.Env
	pgURL     string
	redisAddr string
}

// setup skips the test unless FRESHET_E2E=1; then it fails the test when the
// binary or a server is missing.
func setup(t *testing.T) *env {
	t.Helper()
	return &env{
		Env:       e2etest.Setup(t),
		pgURL:     e2etest.Getenv(t, "FRESHET_POSTGRES_URL"),
		redisAddr: e2etest.Getenv(t, "FRESHET_REDIS_ADDR"),
	}
}

// fetchAt reads the one record at topic/partition/offset.
func (e *env) fetchAt(t *testing.T, topic string, partition int32, offset int64) *kgo.Record {
	t.Helper()
	cl := e.NewClient(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {partition: kgo.NewOffset().At(offset)},
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("fetch %s/%d@%d: %v", topic, partition, offset, err)
		}
		for _, fe := range fs.Errors() {
			t.Fatalf("fetch %s/%d@%d: %v", topic, partition, offset, fe.Err)
		}
		for _, r := range fs.Records() {
			if r.Offset == offset {
				return r
			}
		}
	}
}
