package main

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// drawCharts draws throughput.png and memory.png (a bar per scenario and
// system: the median, with the runs' min–max as an error bar) and
// latency.png (freshness: latency by percentile, one line per scenario and
// system, from its run of median p99). It returns the files' names.
func drawCharts(dir string, runs []run) ([]string, error) {
	order, g := groups(runs)
	var labels []string
	var rps, rss []float64
	var rpsLo, rpsHi, rssLo, rssHi []float64
	for _, k := range order {
		if len(g[k]) == 0 || g[k][0].Latency != nil {
			continue // freshness runs go to the latency chart
		}
		_, r, _, _, m, _, _ := summarize(g[k])
		if len(r) == 0 {
			continue
		}
		labels = append(labels, k.label()+": "+k.sys)
		rps = append(rps, median(r))
		rss = append(rss, median(m))
		lo, hi := minMax(r)
		rpsLo, rpsHi = append(rpsLo, median(r)-lo), append(rpsHi, hi-median(r))
		lo, hi = minMax(m)
		rssLo, rssHi = append(rssLo, median(m)-lo), append(rssHi, hi-median(m))
	}
	var files []string
	if len(labels) > 0 {
		if err := bars(filepath.Join(dir, "throughput.png"), "Throughput per scenario (median of runs, min–max)", "records/s", labels, rps, rpsLo, rpsHi); err != nil {
			return files, err
		}
		files = append(files, "throughput.png")
		if err := bars(filepath.Join(dir, "memory.png"), "Peak resident memory per scenario (median of runs, min–max)", "MiB", labels, rss, rssLo, rssHi); err != nil {
			return files, err
		}
		files = append(files, "memory.png")
	}
	p := plot.New()
	p.Title.Text = "Freshness: record timestamp to visible in the sink"
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency, ms (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	n := 0
	for _, k := range order {
		var lat []*latency
		for _, r := range g[k] {
			if r.ok() && r.Latency != nil && len(r.Latency.Pct) == 100 {
				lat = append(lat, r.Latency)
			}
		}
		if len(lat) == 0 {
			continue
		}
		// The run whose p99 is the median one.
		var p99 []float64
		for _, l := range lat {
			p99 = append(p99, l.P99)
		}
		m := median(p99)
		best := lat[0]
		for _, l := range lat {
			if abs(l.P99-m) < abs(best.P99-m) {
				best = l
			}
		}
		pts := make(plotter.XYs, 0, 100)
		for i, v := range best.Pct {
			pts = append(pts, plotter.XY{X: float64(i + 1), Y: max(v, 0.01)})
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return files, err
		}
		line.Color = plotutil.Color(n)
		line.Dashes = plotutil.Dashes(n / 7)
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(k.label()+": "+k.sys, line)
		n++
	}
	if n > 0 {
		p.Add(plotter.NewGrid())
		if err := p.Save(8*vg.Inch, 5*vg.Inch, filepath.Join(dir, "latency.png")); err != nil {
			return files, err
		}
		files = append(files, "latency.png")
	}
	return files, nil
}

func bars(path, title, unit string, labels []string, vals, lo, hi []float64) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = unit
	b, err := plotter.NewBarChart(plotter.Values(vals), vg.Points(14))
	if err != nil {
		return err
	}
	b.Horizontal = true
	b.Color = color.RGBA{R: 60, G: 110, B: 180, A: 255}
	b.LineStyle.Width = 0
	p.Add(b)
	errs := make(plotter.XYs, len(vals))
	ye := make(plotter.XErrors, len(vals))
	for i := range vals {
		errs[i] = plotter.XY{X: vals[i], Y: float64(i)}
		ye[i] = struct{ Low, High float64 }{lo[i], hi[i]}
	}
	eb, err := plotter.NewXErrorBars(struct {
		plotter.XYer
		plotter.XErrorer
	}{errs, ye})
	if err == nil {
		p.Add(eb)
	}
	for i, v := range vals {
		lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: v + hi[i], Y: float64(i)}}, Labels: []string{" " + human(v)}})
		if err == nil {
			lbl.TextStyle[0].XAlign = 0
			lbl.TextStyle[0].YAlign = -0.5
			p.Add(lbl)
		}
	}
	p.NominalY(labels...)
	p.X.Min = 0
	p.X.Max *= 1.15
	return p.Save(10*vg.Inch, vg.Length(1.2+0.3*float64(len(vals)))*vg.Inch, path)
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0f k", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func minMax(xs []float64) (float64, float64) {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
