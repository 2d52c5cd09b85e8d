package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
)

// childResult is what a helper child writes when it is done; it then waits
// to be killed, so that the harness can read its peak RSS.
type childResult struct {
	Records    int64   `json:"records"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	Window     int64   `json:"window_records"` // records after the first poll's, in Seconds
	CPUSeconds float64 `json:"cpu_seconds"`    // of the measured phase only; 0: the whole process's
	Error      string  `json:"error,omitempty"`
}

// child runs a helper: `-child consume RESULT BOOTSTRAP TOPIC N` or
// `-child copy RESULT BOOTSTRAP TOPIC N PGURL TABLE`.
func child(mode string, args []string) int {
	if len(args) < 4 {
		fmt.Fprintln(os.Stderr, "bench child: bad arguments")
		return 2
	}
	out, bootstrap, topic := args[0], args[1], args[2]
	n, _ := strconv.ParseInt(args[3], 10, 64)
	ctx := context.Background()
	var res childResult
	var err error
	switch mode {
	case "consume":
		res, err = consumeAll(ctx, bootstrap, topic, n)
	case "copy":
		if len(args) < 6 {
			err = fmt.Errorf("copy needs PGURL TABLE")
			break
		}
		res, err = copyRows(ctx, bootstrap, topic, n, args[4], args[5])
	default:
		err = fmt.Errorf("unknown child mode %q", mode)
	}
	if err != nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err == nil {
		_ = os.Rename(tmp, out)
	}
	time.Sleep(10 * time.Minute) // until the harness has sampled /proc and kills us
	return 0
}

// consumeAll is the read limit: a bare franz-go client (no group, defaults
// otherwise) reading the topic from the start; it only counts. Seconds is
// first record to last record.
func consumeAll(ctx context.Context, bootstrap, topic string, n int64) (childResult, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return childResult{}, err
	}
	defer cl.Close()
	var res childResult
	var first time.Time
	for res.Records < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return res, err
		}
		fs.EachRecord(func(r *kgo.Record) {
			res.Records++
			res.Bytes += int64(len(r.Value))
		})
		if first.IsZero() && res.Records > 0 {
			first, res.Window = time.Now(), res.Records
		}
	}
	res.Seconds = time.Since(first).Seconds()
	res.Window = res.Records - res.Window
	return res, nil
}

// copyRows reads n enveloped events into memory (not timed), then loads them
// into table with one COPY (pgx CopyFrom, binary format). Seconds and
// CPUSeconds are of the COPY only.
func copyRows(ctx context.Context, bootstrap, topic string, n int64, url, table string) (childResult, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return childResult{}, err
	}
	rows := make([][]any, 0, n)
	var res childResult
	for int64(len(rows)) < n {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			cl.Close()
			return res, err
		}
		var perr error
		fs.EachRecord(func(r *kgo.Record) {
			var env struct {
				Payload struct {
					TS         int64  `json:"ts"`
					EventID    string `json:"event_id"`
					CustomerID string `json:"customer_id"`
					Pad        string `json:"pad"`
				} `json:"payload"`
			}
			if err := json.Unmarshal(r.Value, &env); err != nil {
				perr = err
				return
			}
			p := env.Payload
			rows = append(rows, []any{p.TS, p.EventID, p.CustomerID, p.Pad})
			res.Bytes += int64(len(r.Value))
		})
		if perr != nil {
			cl.Close()
			return res, perr
		}
	}
	cl.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return res, err
	}
	defer conn.Close(ctx)
	cpu0 := selfCPU()
	start := time.Now()
	k, err := conn.CopyFrom(ctx, pgx.Identifier{table}, []string{"ts", "event_id", "customer_id", "pad"}, pgx.CopyFromRows(rows))
	res.Seconds = time.Since(start).Seconds()
	res.CPUSeconds = selfCPU() - cpu0
	res.Records = k
	return res, err
}

func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// runChild starts a helper child and waits for its result; the run gets the
// child's figures, and its CPU and peak RSS from /proc unless the child
// measured its CPU itself.
func runChild(ctx context.Context, o options, dir, name string, args []string, r *run) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "result.json")
	p, err := startProc(filepath.Join(dir, "child.log"), self, append([]string{"-child", args[0], out}, args[1:]...), nil)
	if err != nil {
		return err
	}
	defer p.stop()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		if b, err := os.ReadFile(out); err == nil {
			var res childResult
			if err := json.Unmarshal(b, &res); err != nil {
				return err
			}
			if res.Error != "" {
				return fmt.Errorf("%s: %s", name, res.Error)
			}
			p.tree(name, r)
			r.Records, r.Bytes, r.Seconds, r.Window = res.Records, res.Bytes, res.Seconds, res.Window
			if res.Window == 0 && res.CPUSeconds == 0 {
				return fmt.Errorf("%s: all %d records came in the first poll: too few records to time", name, res.Records)
			}
			if res.CPUSeconds > 0 {
				r.CPUSeconds = res.CPUSeconds
				r.Procs[0].CPUSeconds = res.CPUSeconds
				r.Note = "CPU of the COPY phase only; RSS includes the rows held in memory"
			}
			return nil
		}
		if p.exited() || time.Now().After(deadline) {
			return fmt.Errorf("%s ended without a result; see %s", name, p.log.Name())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
