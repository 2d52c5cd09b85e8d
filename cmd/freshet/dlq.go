package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/runtime/config"
	"github.com/freshet-dev/freshet/runtime/kafka"
)

const dlqUsage = `Usage: freshet dlq COMMAND [TARGET] [flags]

Drain dead-letter queues: see what failed and why, fix the cause, put the
records back. TARGET is a connector name or a dead-letter topic.

Commands:
  list                      every dead-letter queue with its connector, depth (records
                            not yet drained), oldest and newest failure, and counts by
                            error class, exception, stage and source topic
  inspect TARGET            show dead letters: decoded headers, key and value (read-only)
  replay TARGET --to source|sink
                            put dead letters back: re-produce them to their source topic,
                            or hand them to the connector's sink (through the worker)
  skip TARGET --reason TEXT drain dead letters without replaying them, on the record

Filters (inspect, replay, skip):
  --error-class C     record, retriable, fatal, or an exception class (DataException)
  --match REGEX       matched against the exception message and class
  --since T, --until T
                      failure time: RFC 3339, a date (2024-05-01), or a duration ago (90m, 2d)
  --from-offset O     start at this dead-letter offset
  --limit N           stop after N records (inspect: 20 by default; 0: no limit)

Other flags:
  list:     --no-scan (only queues named in connector configs), -o text|json
  inspect:  --all (include drained records), -o text|json
  replay:   --to source|sink, --topic T (source topic override), --rate N (records/s),
            --dry-run, -o text|json
  skip:     --reason TEXT (required), --dry-run, -o text|json

Connection:
  --bootstrap-servers HOST:PORT  Kafka (env FRESHET_BOOTSTRAP_SERVERS; default localhost:9092)
  --command-config FILE          Kafka client properties: security.protocol, sasl.*, ssl.*
  --url URL                      the worker's REST API, for connector configs and replays
                                 into the sink (env FRESHET_URL; default http://localhost:8083)
  --audit-topic NAME             where drains are recorded (default freshet-dlq-audit)

What was replayed or skipped is tracked by the consumer group
freshet-dlq-drain-<dead-letter topic>, committed only after the records are
acknowledged: an interrupted replay resumes where it stopped, and running the
same replay twice does nothing the second time.
`

// dlqCmd is one parsed `freshet dlq` invocation.
type dlqCmd struct {
	stdout, stderr io.Writer

	cmd, target string

	bootstrap, commandConfig, url, auditTopic string
	urlSet                                    bool
	output                                    string
	spec                                      dlq.FilterSpec
	noScan, dryRun                            bool
	to, topic, rate, reason, who              string
}

// runDLQ is `freshet dlq …`.
func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &dlqCmd{stdout: stdout, stderr: stderr}
	if code, ok := c.parse(args); !ok {
		return code
	}
	// Scans allocate a small object per record header and keep little:
	// collecting less often roughly halves the CPU a million records cost.
	// Memory stays bounded by the fetch buffers.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	if err := c.run(ctx); err != nil {
		fmt.Fprintf(stderr, "freshet dlq %s: %v\n", c.cmd, err)
		var fe *dlq.FilterError
		if errors.As(err, &fe) || errors.Is(err, dlq.ErrUnknownQueue) || errors.Is(err, dlq.ErrNoQueue) ||
			errors.Is(err, dlq.ErrInvalid) || errors.Is(err, dlq.ErrNotRunning) {
			return 2
		}
		return 1
	}
	return 0
}

// parse reads the command line; flags may come before or after TARGET.
func (c *dlqCmd) parse(args []string) (int, bool) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(c.stderr, dlqUsage)
			return 2, false
		}
		fmt.Fprint(c.stdout, dlqUsage)
		return 0, false
	}
	c.cmd = args[0]
	switch c.cmd {
	case "list", "inspect", "replay", "skip":
	default:
		fmt.Fprintf(c.stderr, "freshet dlq: unknown command %q\n\n%s", c.cmd, dlqUsage)
		return 2, false
	}
	fs := flag.NewFlagSet("freshet dlq "+c.cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.bootstrap, "bootstrap-servers", "", "")
	fs.StringVar(&c.commandConfig, "command-config", "", "")
	fs.Func("url", "", func(s string) error { c.url, c.urlSet = s, true; return nil })
	fs.StringVar(&c.auditTopic, "audit-topic", dlq.DefaultAuditTopic, "")
	fs.StringVar(&c.output, "o", "text", "")
	fs.StringVar(&c.output, "output", "text", "")
	fs.StringVar(&c.who, "who", "", "")
	if c.cmd == "list" {
		fs.BoolVar(&c.noScan, "no-scan", false, "")
	} else {
		fs.StringVar(&c.spec.ErrorClass, "error-class", "", "")
		fs.StringVar(&c.spec.Match, "match", "", "")
		fs.StringVar(&c.spec.Since, "since", "", "")
		fs.StringVar(&c.spec.Until, "until", "", "")
		fs.StringVar(&c.spec.FromOffset, "from-offset", "", "")
		fs.StringVar(&c.spec.Limit, "limit", "", "")
	}
	switch c.cmd {
	case "inspect":
		fs.BoolVar(&c.spec.All, "all", false, "")
	case "replay":
		fs.StringVar(&c.to, "to", "", "")
		fs.StringVar(&c.topic, "topic", "", "")
		fs.StringVar(&c.rate, "rate", "", "")
		fs.BoolVar(&c.dryRun, "dry-run", false, "")
	case "skip":
		fs.StringVar(&c.reason, "reason", "", "")
		fs.BoolVar(&c.dryRun, "dry-run", false, "")
	}
	var pos []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(c.stdout, dlqUsage)
				return 0, false
			}
			fmt.Fprintf(c.stderr, "freshet dlq %s: %v (see freshet dlq --help)\n", c.cmd, err)
			return 2, false
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	want := 1
	if c.cmd == "list" {
		want = 0
	}
	if len(pos) != want {
		what := "TARGET (a connector or a dead-letter topic)"
		if want == 0 {
			what = "no arguments"
		}
		fmt.Fprintf(c.stderr, "freshet dlq %s: want %s, got %q (see freshet dlq --help)\n", c.cmd, what, pos)
		return 2, false
	}
	if want == 1 {
		c.target = pos[0]
	}
	if c.output != "text" && c.output != "json" {
		fmt.Fprintf(c.stderr, "freshet dlq %s: -o %q: want text or json\n", c.cmd, c.output)
		return 2, false
	}
	if c.cmd == "replay" && c.to != "source" && c.to != "sink" {
		fmt.Fprintf(c.stderr, "freshet dlq replay: --to source or --to sink is required (got %q)\n", c.to)
		return 2, false
	}
	if c.cmd == "replay" && c.to == "sink" && c.topic != "" {
		fmt.Fprintf(c.stderr, "freshet dlq replay: --topic is only for --to source\n")
		return 2, false
	}
	if c.cmd == "skip" && strings.TrimSpace(c.reason) == "" {
		fmt.Fprintf(c.stderr, "freshet dlq skip: --reason TEXT is required: it goes to the audit trail\n")
		return 2, false
	}
	if c.cmd == "inspect" && c.spec.Limit == "" {
		c.spec.Limit = "20"
	}
	if c.url == "" {
		c.url, c.urlSet = os.Getenv("FRESHET_URL"), os.Getenv("FRESHET_URL") != ""
	}
	if c.url == "" {
		c.url = "http://localhost:8083"
	}
	c.url = strings.TrimRight(c.url, "/")
	if c.who == "" {
		c.who = dlqWho()
	}
	return 0, true
}

func dlqWho() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

func (c *dlqCmd) run(ctx context.Context) error {
	f, err := dlq.ParseFilter(c.spec, time.Now())
	if err != nil {
		return err
	}
	rate, err := dlqParseRate(c.rate)
	if err != nil {
		return err
	}
	if c.cmd == "replay" && c.to == "sink" {
		return c.replaySink(ctx, rate)
	}
	d, err := c.drainer(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	switch c.cmd {
	case "list":
		return c.list(ctx, d)
	case "inspect":
		return c.inspect(ctx, d, f)
	case "replay":
		return c.replaySource(ctx, d, f, rate)
	default:
		return c.skip(ctx, d, f)
	}
}

// dlqParseRate reads --rate: N or N/s, records per second.
func dlqParseRate(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseFloat(strings.TrimSuffix(s, "/s"), 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: --rate %q: want records per second, like 500 or 500/s", dlq.ErrInvalid, s)
	}
	return n, nil
}

// drainer connects to Kafka, and to the worker for connector configs when
// it answers.
func (c *dlqCmd) drainer(ctx context.Context) (*dlq.Drainer, error) {
	props := map[string]string{}
	if c.commandConfig != "" {
		p, err := config.LoadProperties(c.commandConfig)
		if err != nil {
			return nil, err
		}
		props = p
	}
	switch {
	case c.bootstrap != "":
		props["bootstrap.servers"] = c.bootstrap
	case os.Getenv("FRESHET_BOOTSTRAP_SERVERS") != "":
		props["bootstrap.servers"] = os.Getenv("FRESHET_BOOTSTRAP_SERVERS")
	case props["bootstrap.servers"] == "":
		props["bootstrap.servers"] = "localhost:9092"
	}
	opts, err := kafka.ClientOpts(props)
	if err != nil {
		return nil, fmt.Errorf("kafka client config: %w", err)
	}
	dopts := []dlq.Option{dlq.WithAuditTopic(c.auditTopic, -1)}
	cfgs, err := c.connectorConfigs(ctx)
	switch {
	case err == nil:
		dopts = append(dopts, dlq.WithConnectors(dlq.ConnectorsFunc(func(context.Context) (map[string]map[string]string, error) { return cfgs, nil })))
	case c.urlSet || c.cmd == "list":
		fmt.Fprintf(c.stderr, "freshet dlq: warning: no connector configs (%v): only dead-letter topics found by their headers are known\n", err)
	}
	return dlq.New(opts, dopts...)
}

// connectorConfigs reads GET /connectors?expand=info from the worker.
func (c *dlqCmd) connectorConfigs(ctx context.Context) (map[string]map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/connectors?expand=info", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, dlqRESTError(resp)
	}
	var body map[string]struct {
		Info struct {
			Config map[string]string `json:"config"`
		} `json:"info"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET %s/connectors?expand=info: %w", c.url, err)
	}
	out := make(map[string]map[string]string, len(body))
	for name, v := range body {
		out[name] = v.Info.Config
	}
	return out, nil
}

func dlqRESTError(resp *http.Response) error {
	var eb dlq.ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &eb) == nil && eb.Message != "" {
		err := errors.New(eb.Message)
		switch resp.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", dlq.ErrUnknownQueue, err)
		case http.StatusBadRequest:
			return fmt.Errorf("%w: %w", dlq.ErrInvalid, err)
		case http.StatusConflict:
			return fmt.Errorf("%w: %w", dlq.ErrNotRunning, err)
		}
		return err
	}
	return fmt.Errorf("%s %s: %s: %s", resp.Request.Method, resp.Request.URL, resp.Status, bytes.TrimSpace(b))
}

func (c *dlqCmd) list(ctx context.Context, d *dlq.Drainer) error {
	sums, err := d.List(ctx, !c.noScan)
	if err != nil {
		return err
	}
	if c.output == "json" {
		return dlqWriteJSON(c.stdout, sums)
	}
	if len(sums) == 0 {
		fmt.Fprintln(c.stdout, "no dead-letter queues")
		return nil
	}
	for i, s := range sums {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		conn := strings.Join(s.Connectors, ", ")
		if conn == "" {
			conn = "no connector known"
		}
		fmt.Fprintf(c.stdout, "%s  (%s)\n", s.Topic, conn)
		if !s.Exists {
			fmt.Fprintln(c.stdout, "  depth 0: the topic does not exist yet (nothing has failed)")
			continue
		}
		line := fmt.Sprintf("  depth %s of %s records", dlqCommas(s.Depth), dlqCommas(s.Records))
		if s.Oldest != nil {
			line += fmt.Sprintf(" · oldest %s · newest %s", s.Oldest.UTC().Format(time.RFC3339), s.Newest.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(c.stdout, line)
		if s.Expired > 0 {
			fmt.Fprintf(c.stdout, "  %s records expired (retention) before they were drained\n", dlqCommas(s.Expired))
		}
		if len(s.Interrupted) > 0 {
			fmt.Fprintf(c.stdout, "  interrupted replay %s: depth may count records it replayed; the next replay or skip reconciles it\n", strings.Join(s.Interrupted, ", "))
		}
		for _, b := range []struct {
			name string
			m    map[string]int64
		}{{"error class", s.ByErrorClass}, {"exception", s.ByException}, {"stage", s.ByStage}, {"source topic", s.BySourceTopic}} {
			if len(b.m) > 0 {
				fmt.Fprintf(c.stdout, "  %-13s %s\n", b.name, dlqBreakdown(b.m))
			}
		}
	}
	return nil
}

// dlqBreakdown renders counts, largest first.
func dlqBreakdown(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + dlqCommas(m[k])
	}
	return strings.Join(parts, " · ")
}

func (c *dlqCmd) inspect(ctx context.Context, d *dlq.Drainer, f dlq.Filter) error {
	out := bufio.NewWriterSize(c.stdout, 64<<10)
	defer out.Flush()
	n := 0
	start := time.Now()
	if c.output == "json" {
		fmt.Fprint(out, "[")
	}
	res, err := d.Inspect(ctx, c.target, f, func(r dlq.Record) error {
		if c.output == "json" {
			if n > 0 {
				fmt.Fprint(out, ",")
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s", b)
		} else {
			if n > 0 {
				fmt.Fprintln(out)
			}
			dlqWriteRecord(out, r)
		}
		n++
		return nil
	})
	if c.output == "json" {
		fmt.Fprint(out, "\n]\n")
	}
	if err != nil {
		return err
	}
	more := ""
	if res.Truncated {
		more = fmt.Sprintf("; stopped at --limit %d (--limit 0 shows all)", f.Limit)
	}
	fmt.Fprintf(c.stderr, "%s matched of %s dead letters read from %s (%.1fs)%s\n", dlqCommas(res.Matched), dlqCommas(res.Scanned), res.Queue.Topic, time.Since(start).Seconds(), more)
	return nil
}

// Preview limits of the text view of inspect.
const (
	dlqPreviewBytes = 2048
	dlqPreviewLines = 40
)

func dlqWriteRecord(w io.Writer, r dlq.Record) {
	when := r.Timestamp
	if r.LastFailure != nil {
		when = *r.LastFailure
	}
	head := fmt.Sprintf("%s-%d@%d  failed %s", r.Topic, r.Partition, r.Offset, when.UTC().Format(time.RFC3339))
	for _, s := range []string{r.ErrorClass, r.Stage} {
		if s != "" {
			head += "  " + s
		}
	}
	head += fmt.Sprintf("  attempt %d", r.Attempt)
	if r.Drained {
		head += "  (drained)"
	}
	fmt.Fprintln(w, head)
	if r.Origin != nil {
		o := fmt.Sprintf("%s-%d@%d", r.Origin.Topic, r.Origin.Partition, r.Origin.Offset)
		if r.Connector != "" {
			o += "  connector " + r.Connector
		}
		if r.Task != nil {
			o += fmt.Sprintf(" task %d", *r.Task)
		}
		dlqField(w, "origin", o)
	}
	if r.Exception != nil {
		dlqField(w, "error", strings.TrimPrefix(r.Exception.Class+": "+r.Exception.Message, ": "))
	}
	if r.Replay != nil {
		dlqField(w, "replayed", "by run "+r.Replay.ID+" at "+r.Replay.Time+", and failed again")
	}
	if len(r.Headers) > 0 {
		hs := make([]string, len(r.Headers))
		for i, h := range r.Headers {
			hs[i] = h.Key + "=" + dlqOneLine(h.Value)
		}
		dlqField(w, "headers", strings.Join(hs, "  "))
	}
	dlqField(w, "key", dlqPreview(r.Key))
	dlqField(w, "value", dlqPreview(r.Value))
}

func dlqField(w io.Writer, name, v string) {
	lines := strings.Split(v, "\n")
	fmt.Fprintf(w, "  %-9s %s\n", name, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "  %-9s %s\n", "", l)
	}
}

func dlqOneLine(p dlq.Payload) string {
	switch p.Format {
	case dlq.FormatText:
		return strconv.Quote(*p.Text)
	case dlq.FormatJSON:
		return string(p.JSON)
	case dlq.FormatBinary:
		return "0x" + p.Hex
	}
	return "null"
}

// dlqPreview renders a payload readably: JSON pretty-printed, text as is,
// binary as hex, each cut at dlqPreviewBytes or dlqPreviewLines.
func dlqPreview(p dlq.Payload) string {
	var s, kind string
	switch p.Format {
	case dlq.FormatNull:
		return "null"
	case dlq.FormatJSON:
		var buf bytes.Buffer
		_ = json.Indent(&buf, p.JSON, "", "  ")
		s, kind = buf.String(), "JSON"
	case dlq.FormatText:
		s, kind = *p.Text, "text"
	default:
		s, kind = p.Hex, "binary, hex"
		if len(s) > dlqPreviewBytes {
			s = s[:dlqPreviewBytes]
		}
		var lines []string
		for len(s) > 64 {
			lines = append(lines, s[:64])
			s = s[64:]
		}
		s = strings.Join(append(lines, s), "\n")
	}
	cut := false
	if len(s) > dlqPreviewBytes {
		s, cut = s[:dlqPreviewBytes], true
	}
	if ls := strings.Split(s, "\n"); len(ls) > dlqPreviewLines {
		s, cut = strings.Join(ls[:dlqPreviewLines], "\n"), true
	}
	if cut || (p.Format == dlq.FormatBinary && p.Size*2 > dlqPreviewBytes) {
		s += fmt.Sprintf("\n… (%s bytes, %s; -o json shows all)", dlqCommas(int64(p.Size)), kind)
	}
	return s
}

func (c *dlqCmd) replaySource(ctx context.Context, d *dlq.Drainer, f dlq.Filter, rate float64) error {
	bar := newDLQProgressBar(c.stderr, c.target+" → source")
	bar.on = bar.on && !c.dryRun
	res, err := d.Replay(ctx, c.target, dlq.ReplayOptions{
		To: dlq.ToSource, Topic: c.topic, Filter: f, Rate: rate, DryRun: c.dryRun, Who: c.who, Progress: bar.update,
	})
	bar.done()
	return c.replayed(ctx, res, err)
}

// replaySink asks the worker to hand the records to the connector's sink,
// streaming its progress.
func (c *dlqCmd) replaySink(ctx context.Context, rate float64) error {
	name := c.target
	body, _ := json.Marshal(dlq.ReplayRequest{To: dlq.ToSink, Filter: c.spec, Rate: rate, DryRun: c.dryRun, Who: c.who})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/connectors/"+url.PathEscape(name)+"/dlq/replay", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", dlq.NDJSON)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("replay into the sink goes through the worker, and %s does not answer: %w", c.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return dlqRESTError(resp)
	}
	bar := newDLQProgressBar(c.stderr, name+" → sink")
	bar.on = bar.on && !c.dryRun
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var last dlq.StreamLine
	for sc.Scan() {
		var l dlq.StreamLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("read replay stream: %w", err)
		}
		if l.Progress != nil {
			bar.update(*l.Progress)
		}
		last = l
	}
	bar.done()
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read replay stream: %w", err)
	}
	if last.Result == nil {
		if ctx.Err() != nil {
			fmt.Fprintln(c.stderr, "interrupted: the worker stops after the batch in flight; run the same command again to resume")
			return ctx.Err()
		}
		return errors.New("the worker ended the replay stream without a result")
	}
	var rerr error
	if last.Error != nil {
		rerr = errors.New(last.Error.Message)
	}
	return c.replayed(ctx, *last.Result, rerr)
}

// replayed reports a replay's outcome.
func (c *dlqCmd) replayed(ctx context.Context, res dlq.ReplayResult, err error) error {
	if c.output == "json" && (err == nil || res.Queue.Topic != "") {
		if jerr := dlqWriteJSON(c.stdout, res); jerr != nil {
			return jerr
		}
	} else if res.Queue.Topic != "" {
		where := dlqTargets(res.Targets)
		switch {
		case !res.DryRun && res.Run == "" && err == nil:
			fmt.Fprintf(c.stdout, "nothing to replay: none of the %s dead letters read from %s is selected and not yet drained\n", dlqCommas(res.Scanned), res.Queue.Topic)
		case res.DryRun:
			fmt.Fprintf(c.stdout, "dry run: would replay %s of %s dead letters in %s: %s\n", dlqCommas(res.Matched), dlqCommas(res.Scanned), res.Queue.Topic, where)
		default:
			fmt.Fprintf(c.stdout, "replayed %s records from %s in %.1fs (%s records/s): %s; run %s\n",
				dlqCommas(res.Replayed), res.Queue.Topic, res.Elapsed.Seconds(), dlqCommas(int64(res.Rate)), where, res.Run)
			if res.FailedAgain > 0 {
				fmt.Fprintf(c.stdout, "%s failed again and are back in %s with their attempt count raised\n", dlqCommas(res.FailedAgain), res.Queue.Topic)
			}
			if res.Recovered > 0 {
				fmt.Fprintf(c.stdout, "%s had been replayed by an interrupted run and were not replayed again\n", dlqCommas(res.Recovered))
			}
		}
	}
	if err != nil && ctx.Err() != nil {
		fmt.Fprintln(c.stderr, "interrupted: what was acknowledged is recorded; run the same command again to resume")
	}
	return err
}

func dlqTargets(m map[string]int64) string {
	if len(m) == 0 {
		return "nothing"
	}
	return dlqBreakdown(m)
}

func (c *dlqCmd) skip(ctx context.Context, d *dlq.Drainer, f dlq.Filter) error {
	res, err := d.Skip(ctx, c.target, dlq.SkipOptions{Filter: f, Reason: c.reason, Who: c.who, DryRun: c.dryRun})
	if err != nil {
		return err
	}
	if c.output == "json" {
		return dlqWriteJSON(c.stdout, res)
	}
	verb := "skipped"
	if res.DryRun {
		verb = "dry run: would skip"
	}
	fmt.Fprintf(c.stdout, "%s %s dead letters of %s%s\n", verb, dlqCommas(res.Skipped), res.Queue.Topic, dlqOffsets(res.Offsets))
	if !res.DryRun && res.Skipped > 0 {
		fmt.Fprintf(c.stdout, "recorded in %s as run %s: by %s, reason %q\n", c.auditTopic, res.Run, c.who, c.reason)
	}
	return nil
}

// dlqOffsets renders skipped offsets compactly, at most 20 spans.
func dlqOffsets(m map[int32][]dlq.Span) string {
	if len(m) == 0 {
		return ""
	}
	ps := make([]int32, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	var parts []string
	n := 0
	for _, p := range ps {
		var ss []string
		for _, s := range m[p] {
			if n++; n > 20 {
				ss = append(ss, "…")
				break
			}
			if s.To-s.From == 1 {
				ss = append(ss, strconv.FormatInt(s.From, 10))
			} else {
				ss = append(ss, fmt.Sprintf("%d-%d", s.From, s.To-1))
			}
		}
		parts = append(parts, fmt.Sprintf("partition %d: %s", p, strings.Join(ss, ",")))
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func dlqWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// dlqCommas formats n with thousands separators.
func dlqCommas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// dlqProgressBar draws a replay's progress on a terminal: a bar over the
// dead-letter offsets scanned, records replayed, rate and ETA. On anything
// but a terminal it draws nothing.
type dlqProgressBar struct {
	w     io.Writer
	label string
	on    bool
	drawn bool
}

func newDLQProgressBar(w io.Writer, label string) *dlqProgressBar {
	on := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &dlqProgressBar{w: w, label: label, on: on}
}

func (b *dlqProgressBar) update(p dlq.Progress) {
	if !b.on {
		return
	}
	frac := 1.0
	if p.Total > 0 {
		frac = min(float64(p.Scanned)/float64(p.Total), 1)
	}
	const width = 28
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	// Records are acknowledged a batch at a time; the rate shown is of
	// records sent, which moves smoothly.
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Matched) / s
	}
	eta := "--"
	if p.ETA >= 0 && (p.Elapsed > time.Second || frac > 0.05) {
		eta = p.ETA.Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r%s [%s] %3.0f%%  %s sent  %s acknowledged  %s records/s  ETA %s\033[K",
		b.label, bar, frac*100, dlqCommas(p.Matched), dlqCommas(p.Replayed+p.FailedAgain), dlqCommas(int64(rate)), eta)
	b.drawn = true
}

func (b *dlqProgressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}
