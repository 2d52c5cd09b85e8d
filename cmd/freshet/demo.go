package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/rest"
	"github.com/freshet-dev/freshet/runtime/store"
	"github.com/freshet-dev/freshet/runtime/worker"
)

const (
	demoTopic    = "ecommerce.events"
	demoDLQ      = "ecommerce.events.dlq"
	demoSource   = "demo-datagen"
	demoSink     = "demo-file-sink"
	demoBrokerPt = 9092
)

// runDemo is `freshet demo`: datagen → Kafka → file sink, on an embedded
// broker unless --bootstrap-servers names a real one.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dur := fs.Duration("for", 0, "stop after this long (default: run until Ctrl-C)")
	bootstrap := fs.String("bootstrap-servers", os.Getenv("FRESHET_BOOTSTRAP_SERVERS"), "use this Kafka cluster instead of the embedded broker")
	dataDir := fs.String("data-dir", ".freshet", "where the embedded broker, offsets and output live")
	listen := fs.String("listen", "http://127.0.0.1:8083", "REST listener")
	rate := fs.Int("rate", 2000, "events per second generated")
	malformed := fs.Float64("malformed-ratio", 0.001, "fraction of deliberately malformed events (they go to the dead-letter topic)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	if err := os.MkdirAll(filepath.Join(*dataDir, "out"), 0o755); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	logFile, err := os.OpenFile(filepath.Join(*dataDir, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	defer logFile.Close()
	// Details go to the log file; warnings and errors to the terminal too.
	levels := rest.NewLevels(zapcore.InfoLevel)
	log := newLogger(logFile, true, levels)

	brokers := *bootstrap
	if brokers == "" {
		cluster, err := startEmbeddedBroker(filepath.Join(*dataDir, "kafka"))
		if err != nil {
			fmt.Fprintf(stderr, "demo: embedded broker: %v\n", err)
			return 1
		}
		defer cluster.Close()
		brokers = cluster.ListenAddrs()[0]
	}

	stats := &demoStats{}
	props := map[string]string{
		"bootstrap.servers":              brokers,
		"listeners":                      *listen,
		"offset.storage.file.filename":   filepath.Join(*dataDir, "offsets.json"),
		"freshet.config.storage.file":    filepath.Join(*dataDir, "connectors.json"),
		"offset.flush.interval.ms":       "2000",
		"key.converter":                  "org.apache.kafka.connect.storage.StringConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"value.converter.schemas.enable": "false",
	}
	s, err := startStandalone(ctx, props, log, levels, stats)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			err = fmt.Errorf("%s is taken (another freshet?): stop it, or pass --listen http://127.0.0.1:PORT", *listen)
		}
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	outFile := filepath.Join(*dataDir, "out", "events.jsonl")
	source := map[string]string{
		"connector.class": "datagen", "topic": demoTopic, "rate.per.sec": strconv.Itoa(*rate),
		"malformed.ratio": strconv.FormatFloat(*malformed, 'f', -1, 64), "schemas": "false",
	}
	sink := map[string]string{
		"connector.class": "FileStreamSink", "topics": demoTopic, "file": outFile,
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": demoDLQ,
		"errors.deadletterqueue.topic.replication.factor": "1",
		"errors.deadletterqueue.context.headers.enable":   "true",
	}
	for name, cfg := range map[string]map[string]string{demoSource: source, demoSink: sink} {
		if _, err := s.herder.PutConnector(ctx, name, cfg, store.TargetStarted); err != nil {
			fmt.Fprintf(stderr, "demo: connector %s: %v\n", name, err)
			s.shutdown(context.Background())
			return 1
		}
	}
	fmt.Fprintf(stdout, "freshet demo: datagen → Kafka → file sink\n")
	fmt.Fprintf(stdout, "  REST API      %s   (try: curl %s/connectors?expand=status)\n", s.rest.URL(), s.rest.URL())
	fmt.Fprintf(stdout, "  Kafka broker  %s   (topic %s, dead letters in %s)\n", brokers, demoTopic, demoDLQ)
	fmt.Fprintf(stdout, "  output        %s\n  log           %s\n", outFile, logFile.Name())
	if *dur > 0 {
		fmt.Fprintf(stdout, "  running for %s; Ctrl-C stops earlier\n", *dur)
	} else {
		fmt.Fprintf(stdout, "  Ctrl-C stops\n")
	}

	adm := newAdmin(brokers)
	defer adm.Close()
	progress(ctx, stdout, stats, kadm.NewClient(adm))

	// Stop generating, then let the sink catch up (briefly), so the summary
	// accounts for every record produced.
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fmt.Fprintf(stdout, "\ndemo: stopping the source and draining the sink…")
	if err := s.herder.SetTarget(sctx, demoSource, store.TargetStopped); err != nil {
		log.Warn("stopping the demo source", zap.Error(err))
	}
	left := drain(stats, 10*time.Second)
	s.shutdown(sctx)
	if left > 0 {
		fmt.Fprintf(stdout, "\ndemo: %d records are still in Kafka; the next run delivers them", left)
	}
	fmt.Fprintf(stdout, "\ndemo: produced %d records, dead-lettered %d, delivered %d to %s\n",
		stats.produced.Load(), stats.deadLetters.Load(), stats.delivered.Load(), outFile)
	fmt.Fprintf(stdout, "demo: delivered %d records\n", stats.delivered.Load())
	return 0
}

func startEmbeddedBroker(dir string) (*kfake.Cluster, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1), kfake.DataDir(dir), kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(3), kfake.SeedTopics(3, demoTopic),
	}
	// The well-known port when it is free, so other clients find the broker.
	if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", demoBrokerPt)); err == nil {
		l.Close()
		opts = append(opts, kfake.Ports(demoBrokerPt))
	}
	return kfake.NewCluster(opts...)
}

func newAdmin(brokers string) *kgo.Client {
	cl, _ := kgo.NewClient(kgo.SeedBrokers(brokers))
	return cl
}

// demoStats counts what the demo shows; it is a worker hook.
type demoStats struct {
	produced, consumed, delivered, deadLetters atomic.Int64
}

func (d *demoStats) OnRecordsOut(_ worker.TaskID, n int, _ int64) { d.produced.Add(int64(n)) }
func (d *demoStats) OnRecordsIn(_ worker.TaskID, n int, _ int64)  { d.consumed.Add(int64(n)) }
func (d *demoStats) OnBatchPut(_ worker.TaskID, n int, _ time.Duration, err error) {
	if err == nil {
		d.delivered.Add(int64(n))
	}
}
func (d *demoStats) OnDeadLettered(worker.TaskID, string, sdk.Class) { d.deadLetters.Add(1) }

// progress prints one line a second until ctx is done: on a terminal it
// rewrites the line, elsewhere it prints every fifth.
func progress(ctx context.Context, w io.Writer, s *demoStats, adm *kadm.Client) {
	tty := isTerminal(w)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last int64
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d := s.delivered.Load()
		lag := int64(-1)
		lctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		if lags, err := adm.Lag(lctx, "connect-"+demoSink); err == nil {
			if l, ok := lags["connect-"+demoSink]; ok && l.Error() == nil {
				lag = l.Lag.Total()
			}
		}
		cancel()
		line := fmt.Sprintf("%6ds  delivered %9d  %7d rec/s  lag %6s  dead letters %d", n, d, d-last, lagString(lag), s.deadLetters.Load())
		last = d
		switch {
		case tty:
			fmt.Fprintf(w, "\r%s", line)
		case n%5 == 0:
			fmt.Fprintln(w, line)
		}
	}
}

// drain waits, for at most d, until the sink has handled every record the
// source produced in this run; it returns how many it has not.
func drain(s *demoStats, d time.Duration) int64 {
	deadline := time.Now().Add(d)
	for {
		left := s.produced.Load() - s.delivered.Load() - s.deadLetters.Load()
		if left <= 0 || time.Now().After(deadline) {
			return max(left, 0)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func lagString(l int64) string {
	if l < 0 {
		return "?"
	}
	return strconv.FormatInt(l, 10)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
