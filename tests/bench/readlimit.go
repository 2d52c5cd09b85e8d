package main

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// readLimitScenario: how close Freshet's sink path comes to reading Kafka as
// fast as a bare client can. Freshet runs its file sink into /dev/null (a
// null sink: the sink still formats every line and writes it, but the file
// sink skips fsync on non-regular files), counted by the worker's
// freshet_sink_records_written_total; the peer is a bare franz-go consumer
// (no group, default fetch settings) that only counts records.
func readLimitScenario(ctx context.Context, o options) ([]run, error) {
	size := o.sizes[0]
	t, err := topicFor(ctx, o, kindPlain, size)
	if err != nil {
		return nil, err
	}
	return alternate(ctx, o, "read-limit", size, []string{"freshet → /dev/null", "franz-go consumer"}, func(ctx context.Context, sys string, i int, r *run) error {
		r.Records, r.Bytes = int64(o.records), t.bytes
		dir := runDir(o, "read", sys, i)
		if sys == "franz-go consumer" {
			return runChild(ctx, o, dir, "franz-go consumer", []string{"consume", o.bootstrap, t.name, strconv.Itoa(o.records)}, r)
		}
		p, err := startFreshet(o, dir, nil, fileConnector(t.name, "/dev/null"))
		if err != nil {
			return err
		}
		defer p.stop()
		return measure(ctx, p, "freshet", r, func() (int64, error) { return written(ctx, p.rest), nil })
	}), nil
}

// written sums freshet_sink_records_written_total on a worker's /metrics
// (0 while the worker is not up).
func written(ctx context.Context, rest string) int64 {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", rest+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var n int64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "freshet_sink_records_written_total") {
			continue
		}
		f := strings.Fields(l)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			n += int64(v)
		}
	}
	return n
}
