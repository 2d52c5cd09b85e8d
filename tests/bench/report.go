package main

import (
	"fmt"
	"sort"
	"strings"
)

func median(xs []float64) float64 {
	xs = append([]float64(nil), xs...)
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

// spread formats the median and, with several values, the min–max range.
func spread(xs []float64, format string) string {
	s := fmt.Sprintf(format, median(xs))
	if len(xs) < 2 {
		return s
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return s + " (" + fmt.Sprintf(format, lo) + "–" + fmt.Sprintf(format, hi) + ")"
}

// groupKey is one row of the table: a scenario at one record size, one
// system.
type groupKey struct {
	sc   string
	size int
	sys  string
}

func (k groupKey) label() string {
	if k.size == 0 {
		return k.sc
	}
	return fmt.Sprintf("%s, %d B", k.sc, k.size)
}

// summary holds the medians of one group's successful runs.
type summary struct {
	n                  int
	rps, mbs, cpu, rss float64
	p50, p99           float64
	hasLat             bool
}

func summarize(rs []run) (summary, []float64, []float64, []float64, []float64, []float64, []float64) {
	var rps, mbs, cpu, rss, p50, p99 []float64
	for _, r := range rs {
		if !r.ok() {
			continue
		}
		rps = append(rps, r.recordsPerSec())
		mbs = append(mbs, r.mbPerSec())
		cpu = append(cpu, r.cpuPerMillion())
		rss = append(rss, float64(r.PeakRSS)/(1<<20))
		if r.Latency != nil {
			p50 = append(p50, r.Latency.P50)
			p99 = append(p99, r.Latency.P99)
		}
	}
	s := summary{n: len(rps), rps: median(rps), mbs: median(mbs), cpu: median(cpu), rss: median(rss)}
	if len(p50) > 0 {
		s.hasLat, s.p50, s.p99 = true, median(p50), median(p99)
	}
	return s, rps, mbs, cpu, rss, p50, p99
}

// groups orders runs by scenario, size and system, in the order they ran.
func groups(runs []run) ([]groupKey, map[groupKey][]run) {
	g := map[groupKey][]run{}
	var order []groupKey
	for _, r := range runs {
		k := groupKey{r.Scenario, r.Size, r.System}
		if _, ok := g[k]; !ok {
			order = append(order, k)
		}
		g[k] = append(g[k], r)
	}
	return order, g
}

// report renders the machine, one row per scenario and system (medians, with
// min–max over runs) and the ratios of the first system of each scenario
// (Freshet, or Freshet isolated) to every other one.
func report(runs []run, o options, m machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Freshet benchmarks, %s\n\n", m.Date[:10])
	fmt.Fprintf(&b, "Machine: %s, %d cores (%s), %s memory, Linux %s. ", m.Host, m.Cores, m.CPU, m.Memory, m.Kernel)
	var vs []string
	for k, v := range m.Versions {
		vs = append(vs, k+" "+v)
	}
	sort.Strings(vs)
	fmt.Fprintf(&b, "Versions: %s.\n\n", strings.Join(vs, "; "))
	fmt.Fprintf(&b, "%d records per run, %d runs per system, systems alternating; freshness at %d records/s for %s. "+
		"Each cell is the median, with min–max over the runs. CPU is user+system time of the system's processes "+
		"(not Kafka's, not PostgreSQL's); RSS is the sum of their peak resident sets.\n\n",
		o.records, o.runs, o.rate, o.freshFor)
	fmt.Fprintln(&b, "| scenario | system | records/s | MB/s | CPU s per 1M records | peak RSS MiB | latency p50 / p99 ms | runs |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|")
	order, g := groups(runs)
	sums := map[groupKey]summary{}
	for _, k := range order {
		rs := g[k]
		s, rps, mbs, cpu, rss, p50, p99 := summarize(rs)
		sums[k] = s
		if s.n == 0 {
			why := ""
			for _, r := range rs {
				if r.Skipped != "" {
					why = "not run: " + r.Skipped
				} else if why == "" {
					why = "failed: " + firstLine(r.Error)
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | | | | | 0 |\n", k.label(), k.sys, why)
			continue
		}
		lat := ""
		if s.hasLat {
			lat = spread(p50, "%.1f") + " / " + spread(p99, "%.1f")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d |\n", k.label(), k.sys,
			spread(rps, "%.0f"), spread(mbs, "%.1f"), spread(cpu, "%.2f"), spread(rss, "%.0f"), lat, s.n)
	}
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Ratios of medians, pair by pair (throughput: above 1 is faster; CPU, RSS and latency: below 1 is less):")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "| scenario | pair | throughput | CPU per record | peak RSS | p99 latency |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|")
	first := map[string]groupKey{}
	for _, k := range order {
		sk := fmt.Sprintf("%s/%d", k.sc, k.size)
		f, ok := first[sk]
		if !ok {
			first[sk] = k
			continue
		}
		a, c := sums[f], sums[k]
		if a.n == 0 || c.n == 0 {
			continue
		}
		p99 := ""
		if a.hasLat && c.hasLat && c.p99 > 0 {
			p99 = fmt.Sprintf("%.2f×", a.p99/c.p99)
		}
		fmt.Fprintf(&b, "| %s | %s / %s | %.2f× | %.2f× | %.2f× | %s |\n", k.label(), f.sys, k.sys,
			a.rps/c.rps, a.cpu/c.cpu, a.rss/c.rss, p99)
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return strings.ReplaceAll(s, "|", "/")
}
