// Command bench runs Freshet's system benchmarks against real servers and
// prints a Markdown table of medians with their spread, plus a JSON file of
// every raw run. Run it with `make bench` (which starts Kafka) or
// `go run ./tests/bench -scenario file-sink`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// run is one measured run of one system in one scenario.
type run struct {
	Scenario   string  `json:"scenario"`
	System     string  `json:"system"`
	Run        int     `json:"run"`
	Records    int64   `json:"records"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"` // first record out to last record out
	CPUSeconds float64 `json:"cpu_seconds"`
	PeakRSS    int64   `json:"peak_rss_bytes"`
	Error      string  `json:"error,omitempty"`
}

func (r run) recordsPerSec() float64 { return float64(r.Records) / r.Seconds }
func (r run) mbPerSec() float64      { return float64(r.Bytes) / r.Seconds / 1e6 }
func (r run) cpuPerMillion() float64 { return r.CPUSeconds / float64(r.Records) * 1e6 }

type options struct {
	bootstrap string
	bin       string
	kafkaLib  string
	records   int
	size      int
	runs      int
	work      string
}

func main() {
	var o options
	scenario := flag.String("scenario", "", "run only this scenario (file-sink)")
	flag.IntVar(&o.records, "records", 1_000_000, "records per run")
	flag.IntVar(&o.size, "size", 300, "value size in bytes")
	flag.IntVar(&o.runs, "runs", 3, "runs per system; systems alternate")
	out := flag.String("out", "tests/bench/results", "where the Markdown table and raw JSON go")
	flag.Parse()
	o.bootstrap = os.Getenv("FRESHET_KAFKA_BOOTSTRAP")
	o.bin = os.Getenv("FRESHET_BIN")
	o.kafkaLib = os.Getenv("FRESHET_KAFKA_LIB_DIR")
	if o.bootstrap == "" || o.bin == "" {
		fmt.Fprintln(os.Stderr, "bench: FRESHET_KAFKA_BOOTSTRAP and FRESHET_BIN must be set (make bench sets them)")
		os.Exit(2)
	}
	var err error
	if o.work, err = os.MkdirTemp("", "freshet-bench-"); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(o.work)

	ctx := context.Background()
	var runs []run
	for _, sc := range scenarios() {
		if *scenario != "" && sc.name != *scenario {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: scenario %s\n", sc.name)
		rs, err := sc.run(ctx, o)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", sc.name, err)
			os.Exit(1)
		}
		runs = append(runs, rs...)
	}
	table := report(runs, o)
	fmt.Print(table)
	if err := save(*out, table, runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type scenario struct {
	name string
	run  func(ctx context.Context, o options) ([]run, error)
}

func scenarios() []scenario {
	return []scenario{{"file-sink", fileSinkScenario}}
}

func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func spread(xs []float64) string {
	if len(xs) < 2 {
		return ""
	}
	sort.Float64s(xs)
	return fmt.Sprintf(" (%.3g–%.3g)", xs[0], xs[len(xs)-1])
}

// report renders medians per scenario and system, and Freshet/other ratios.
func report(runs []run, o options) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "## Freshet benchmarks, %s\n\nmachine: %s, %d cores, %s; %d records of %d B per run, %d runs per system (median, with min–max)\n\n",
		time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), memTotal(), o.records, o.size, o.runs)
	fmt.Fprintln(&b, "| scenario | system | records/s | MB/s | CPU s per 1M records | peak RSS MiB |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|")
	type key struct{ sc, sys string }
	groups := map[key][]run{}
	var order []key
	for _, r := range runs {
		k := key{r.Scenario, r.System}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	medRPS := map[key]float64{}
	for _, k := range order {
		var rps, mbs, cpu, rss []float64
		var failed string
		for _, r := range groups[k] {
			if r.Error != "" {
				failed = r.Error
				continue
			}
			rps = append(rps, r.recordsPerSec())
			mbs = append(mbs, r.mbPerSec())
			cpu = append(cpu, r.cpuPerMillion())
			rss = append(rss, float64(r.PeakRSS)/(1<<20))
		}
		if len(rps) == 0 {
			fmt.Fprintf(&b, "| %s | %s | not run: %s | | | |\n", k.sc, k.sys, failed)
			continue
		}
		medRPS[k] = median(append([]float64(nil), rps...))
		fmt.Fprintf(&b, "| %s | %s | %.0f%s | %.1f | %.2f%s | %.0f%s |\n", k.sc, k.sys,
			median(append([]float64(nil), rps...)), spread(rps), median(mbs),
			median(append([]float64(nil), cpu...)), spread(cpu), median(append([]float64(nil), rss...)), spread(rss))
	}
	fmt.Fprintln(&b)
	for _, k := range order {
		if k.sys == "freshet" {
			continue
		}
		f, ok1 := medRPS[key{k.sc, "freshet"}]
		p, ok2 := medRPS[k]
		if ok1 && ok2 {
			fmt.Fprintf(&b, "- %s: Freshet/%s throughput ratio %.2f×\n", k.sc, k.sys, f/p)
		}
	}
	return b.String()
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	line, _, _ := strings.Cut(string(b), "\n")
	var kb int64
	fmt.Sscanf(strings.TrimPrefix(line, "MemTotal:"), "%d", &kb)
	return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
}

func save(dir, table string, runs []run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	if err := os.WriteFile(filepath.Join(dir, "latest.md"), []byte(table), 0o644); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "runs-"+stamp+".json"), raw, 0o644)
}
