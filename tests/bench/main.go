// Command bench runs Freshet's system benchmarks against real servers and
// the systems users would pick instead, and prints a Markdown table of
// medians with their spread and Freshet/peer ratios, plus a JSON file of
// every raw run and PNG charts. Run it with `make bench` (which starts the
// servers) or `go run ./tests/bench -scenario file-sink` with the env of
// tests/services. See tests/bench/README.md.
//
// The harness runs the systems it compares as child processes and samples
// their CPU time and peak resident memory from /proc. Its own helpers (the
// bare franz-go consumer, the COPY loader) run as children too: the harness
// binary re-executes itself with -child.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// run is one measured run of one system in one scenario.
type run struct {
	Scenario string  `json:"scenario"`
	Size     int     `json:"record_size"` // bytes of the generated value payload
	System   string  `json:"system"`
	Run      int     `json:"run"`
	Records  int64   `json:"records"`
	Bytes    int64   `json:"bytes"`   // value bytes of those records
	Seconds  float64 `json:"seconds"` // first record visible to last record visible
	// Window is the records that became visible after the first ones were
	// seen, in Seconds: the rates are Window/Seconds (0: all Records).
	Window     int64      `json:"window_records,omitempty"`
	CPUSeconds float64    `json:"cpu_seconds"`       // from the first record visible to the last, all Procs
	CPUTotal   float64    `json:"cpu_seconds_total"` // of the processes' whole life, start-up included
	PeakRSS    int64      `json:"peak_rss_bytes"`    // sum over Procs
	Procs      []procStat `json:"processes,omitempty"`
	Rate       int        `json:"target_rate,omitempty"` // freshness: records/s offered
	Latency    *latency   `json:"latency_ms,omitempty"`
	Note       string     `json:"note,omitempty"`
	Error      string     `json:"error,omitempty"`
	Skipped    string     `json:"not_run,omitempty"`
}

func (r run) ok() bool { return r.Error == "" && r.Skipped == "" && r.Seconds > 0 }
func (r run) window() float64 {
	if r.Window > 0 {
		return float64(r.Window)
	}
	return float64(r.Records)
}
func (r run) recordsPerSec() float64 { return r.window() / r.Seconds }
func (r run) mbPerSec() float64 {
	return float64(r.Bytes) * r.window() / float64(r.Records) / r.Seconds / 1e6
}
func (r run) cpuPerMillion() float64 { return r.CPUSeconds / r.window() * 1e6 }

// procStat is one process of a system: its CPU seconds (user+system) and
// peak resident memory (VmHWM).
type procStat struct {
	Name       string  `json:"name"`
	CPUSeconds float64 `json:"cpu_seconds"`
	PeakRSS    int64   `json:"peak_rss_bytes"`
}

// latency holds the end-to-end latency percentiles of one run, in
// milliseconds: record timestamp to visible in the sink.
type latency struct {
	Samples int       `json:"samples"`
	P50     float64   `json:"p50"`
	P90     float64   `json:"p90"`
	P99     float64   `json:"p99"`
	P999    float64   `json:"p99_9"`
	Max     float64   `json:"max"`
	Pct     []float64 `json:"percentiles"` // Pct[i] is the (i+1)th percentile
}

type options struct {
	bootstrap   string
	bin         string
	kafkaLib    string
	jdbcLib     string
	pgURL       string
	records     int
	sizes       []int
	runs        int
	rate        int
	freshFor    time.Duration
	work        string
	topics      map[string]topicData // produced topics, by kind and size
	connectHeap string
}

// machine describes where the benchmarks ran.
type machine struct {
	Date     string            `json:"date"`
	Host     string            `json:"host"`
	Cores    int               `json:"cores"`
	Memory   string            `json:"memory"`
	Kernel   string            `json:"kernel"`
	CPU      string            `json:"cpu"`
	Versions map[string]string `json:"versions"`
}

// result is the JSON file: the machine, the options and every raw run.
type result struct {
	Machine machine        `json:"machine"`
	Options map[string]any `json:"options"`
	Runs    []run          `json:"runs"`
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-child" {
		os.Exit(child(os.Args[2], os.Args[3:]))
	}
	var o options
	scenario := flag.String("scenario", "", "run only these scenarios, comma separated ("+strings.Join(scenarioNames(), ", ")+")")
	flag.IntVar(&o.records, "records", envInt("BENCH_RECORDS", 500_000), "records per run (env BENCH_RECORDS)")
	flag.IntVar(&o.runs, "runs", envInt("BENCH_RUNS", 3), "runs per system; systems alternate (env BENCH_RUNS)")
	sizes := flag.String("sizes", envStr("BENCH_SIZES", "300,1024"), "record sizes of the runtime-overhead scenario (env BENCH_SIZES)")
	flag.IntVar(&o.rate, "rate", envInt("BENCH_RATE", 20_000), "freshness: records/s offered (env BENCH_RATE)")
	flag.DurationVar(&o.freshFor, "fresh-for", envDur("BENCH_FRESH_FOR", 10*time.Second), "freshness: how long to produce at -rate (env BENCH_FRESH_FOR)")
	out := flag.String("out", "tests/bench/results", "where the Markdown table, raw JSON and charts go")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &n); err != nil || n < 80 {
			fmt.Fprintf(os.Stderr, "bench: bad size %q (at least 80)\n", s)
			os.Exit(2)
		}
		o.sizes = append(o.sizes, n)
	}
	o.bootstrap = os.Getenv("FRESHET_KAFKA_BOOTSTRAP")
	o.bin = os.Getenv("FRESHET_BIN")
	o.kafkaLib = os.Getenv("FRESHET_KAFKA_LIB_DIR")
	o.pgURL = os.Getenv("FRESHET_POSTGRES_URL")
	o.jdbcLib = os.Getenv("FRESHET_JDBC_SINK_DIR")
	o.connectHeap = envStr("BENCH_CONNECT_HEAP", "-Xms1g -Xmx1g")
	o.topics = map[string]topicData{}
	if o.bootstrap == "" || o.bin == "" {
		fmt.Fprintln(os.Stderr, "bench: FRESHET_KAFKA_BOOTSTRAP and FRESHET_BIN must be set (make bench sets them)")
		os.Exit(2)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*scenario, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	for s := range want {
		if !contains(scenarioNames(), s) {
			fmt.Fprintf(os.Stderr, "bench: unknown scenario %q (one of %s)\n", s, strings.Join(scenarioNames(), ", "))
			os.Exit(2)
		}
	}
	var err error
	if o.work, err = os.MkdirTemp("", "freshet-bench-"); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(o.work)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := describeMachine(ctx, o)
	var runs []run
	for _, sc := range scenarios() {
		if len(want) > 0 && !want[sc.name] {
			continue
		}
		logf("scenario %s", sc.name)
		rs, err := sc.run(ctx, o)
		if err != nil {
			logf("%s: %v", sc.name, err)
			rs = append(rs, run{Scenario: sc.name, System: "freshet", Error: err.Error()})
		}
		runs = append(runs, rs...)
		if ctx.Err() != nil {
			break
		}
	}
	table := report(runs, o, m)
	fmt.Print(table)
	res := result{Machine: m, Runs: runs, Options: map[string]any{
		"records": o.records, "runs": o.runs, "sizes": o.sizes, "rate": o.rate,
		"fresh_for_seconds": o.freshFor.Seconds(), "scenarios": *scenario, "connect_heap": o.connectHeap,
	}}
	if err := save(*out, table, res); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name string
	run  func(ctx context.Context, o options) ([]run, error)
}

func scenarios() []scenario {
	return []scenario{
		{"file-sink", fileSinkScenario},
		{"read-limit", readLimitScenario},
		{"postgres", postgresScenario},
		{"isolation", isolationScenario},
		{"freshness", freshnessScenario},
		{"iceberg", notYet("iceberg", "no Freshet Iceberg sink yet")},
		{"elasticsearch", notYet("elasticsearch", "no Freshet Elasticsearch sink yet")},
	}
}

func scenarioNames() []string {
	var out []string
	for _, s := range scenarios() {
		out = append(out, s.name)
	}
	return out
}

// notYet is a scenario whose Freshet sink does not exist: one row that says so.
func notYet(name, why string) func(context.Context, options) ([]run, error) {
	return func(context.Context, options) ([]run, error) {
		logf("%s: not run: %s", name, why)
		return []run{{Scenario: name, System: "freshet", Skipped: why}}, nil
	}
}

// alternate runs each system once per round, o.runs rounds, so that drift
// on a shared machine spreads over all systems alike. A system whose
// function returns errSkip is not run again and gets one not-run row.
func alternate(ctx context.Context, o options, name string, size int, systems []string, fn func(ctx context.Context, sys string, i int, r *run) error) []run {
	var runs []run
	skipped := map[string]bool{}
	for i := range o.runs {
		order := systems
		if i%2 == 1 { // A B, B A, …: neither system always runs second
			order = slices.Clone(systems)
			slices.Reverse(order)
		}
		for _, sys := range order {
			if skipped[sys] {
				continue
			}
			cleanSlate(o)
			r := run{Scenario: name, Size: size, System: sys, Run: i}
			err := fn(ctx, sys, i, &r)
			var sk skipError
			switch {
			case asSkip(err, &sk):
				r.Skipped = sk.why
				skipped[sys] = true
				logf("%s %s: not run: %s", name, sys, sk.why)
			case err != nil:
				r.Error = err.Error()
				logf("%s %s run %d: %v", name, sys, i, err)
			default:
				msg := fmt.Sprintf("%s %s run %d: %.0f records/s, %.2f CPU s/1M, peak RSS %d MiB", name, sys, i, r.recordsPerSec(), r.cpuPerMillion(), r.PeakRSS>>20)
				if r.Latency != nil {
					msg += fmt.Sprintf(", latency p50 %.1f ms p99 %.1f ms", r.Latency.P50, r.Latency.P99)
				}
				logf("%s", msg)
			}
			runs = append(runs, r)
		}
	}
	return runs
}

// cleanSlate removes what earlier runs left in the work directory and
// writes back every dirty page, so that no run pays for the writeback of
// the one before it (half a gigabyte per file-sink run).
func cleanSlate(o options) {
	entries, _ := os.ReadDir(o.work)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(o.work, e.Name()))
	}
	syscall.Sync()
}

// skipError says a system cannot run here, and why; it is reported, not
// measured.
type skipError struct{ why string }

func (e skipError) Error() string { return "not run: " + e.why }

func asSkip(err error, out *skipError) bool {
	if e, ok := err.(skipError); ok {
		*out = e
		return true
	}
	return false
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func envInt(k string, def int) int {
	var n int
	if _, err := fmt.Sscanf(os.Getenv(k), "%d", &n); err == nil {
		return n
	}
	return def
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envDur(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil {
		return d
	}
	return def
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func describeMachine(ctx context.Context, o options) machine {
	host, _ := os.Hostname()
	m := machine{
		Date: time.Now().UTC().Format(time.RFC3339), Host: host, Cores: runtime.NumCPU(), Memory: memTotal(),
		Kernel: strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")), CPU: cpuModel(),
		Versions: map[string]string{"go": runtime.Version(), "kafka": os.Getenv("FRESHET_KAFKA_VERSION")},
	}
	if b, err := exec.CommandContext(ctx, o.bin, "version").Output(); err == nil {
		m.Versions["freshet"] = strings.TrimSpace(strings.TrimPrefix(string(b), "freshet "))
	}
	if b, err := exec.CommandContext(ctx, "java", "-version").CombinedOutput(); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		m.Versions["java"] = strings.TrimSpace(line)
	}
	if v := pgVersion(ctx, o); v != "" {
		m.Versions["postgresql"] = v
	}
	if o.jdbcLib != "" {
		m.Versions["debezium-connector-jdbc"] = strings.TrimPrefix(filepath.Base(o.jdbcLib), "debezium-jdbc-")
	}
	return m
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func cpuModel() string {
	for _, l := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return ""
}

func memTotal() string {
	line, _, _ := strings.Cut(readFile("/proc/meminfo"), "\n")
	var kb int64
	fmt.Sscanf(strings.TrimPrefix(line, "MemTotal:"), "%d", &kb)
	return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
}

// save writes latest.md, runs-STAMP.json (removing older runs-*.json, so
// that one raw file sits beside the table it backs) and the charts.
func save(dir, table string, res result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	raw, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "runs-*.json"))
	name := "runs-" + stamp + ".json"
	if err := os.WriteFile(filepath.Join(dir, name), raw, 0o644); err != nil {
		return err
	}
	for _, f := range old {
		if filepath.Base(f) != name {
			os.Remove(f)
		}
	}
	charts, err := drawCharts(dir, res.Runs)
	if err != nil {
		logf("charts: %v", err)
	}
	var b strings.Builder
	b.WriteString(table)
	fmt.Fprintf(&b, "\nRaw runs: [%s](%s).\n", name, name)
	for _, c := range charts {
		fmt.Fprintf(&b, "\n![%s](%s)\n", strings.TrimSuffix(c, ".png"), c)
	}
	return os.WriteFile(filepath.Join(dir, "latest.md"), []byte(b.String()), 0o644)
}
