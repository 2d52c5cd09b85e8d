package main

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/dlq"
)

// drainDepth exports the depth of each dead-letter queue (records not yet
// replayed or skipped) as freshet_dlq_depth_records. Reading depths reads the
// drain journal, so a scrape reuses a reading for up to maxAge.
type drainDepth struct {
	d      *dlq.Drainer
	log    *zap.Logger
	desc   *prometheus.Desc
	maxAge time.Duration

	mu     sync.Mutex
	at     time.Time
	depths []dlq.Depth
}

func newDrainDepth(d *dlq.Drainer, log *zap.Logger) *drainDepth {
	return &drainDepth{
		d: d, log: log, maxAge: 30 * time.Second,
		desc: prometheus.NewDesc("freshet_dlq_depth_records",
			"Dead letters not yet replayed or skipped, per dead-letter topic.", []string{"queue", "connector"}, nil),
	}
}

func (c *drainDepth) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *drainDepth) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > c.maxAge {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		depths, err := c.d.Depths(ctx)
		cancel()
		if err != nil {
			c.log.Warn("reading dead-letter depths for metrics", zap.Error(err))
		} else {
			c.depths, c.at = depths, time.Now()
		}
	}
	for _, d := range c.depths {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(d.Depth), d.Queue.Topic, strings.Join(d.Queue.Connectors, ","))
	}
}
