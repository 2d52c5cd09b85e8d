package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/freshet-dev/freshet/runtime/herder"
)

// runCluster is `freshet cluster [--url URL] [-o json]`: the members of a
// distributed cluster, its leader, generation and who runs what, from any
// worker's GET /cluster.
func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := cliOptions{url: os.Getenv("FRESHET_URL"), token: os.Getenv("FRESHET_TOKEN"), user: os.Getenv("FRESHET_USER"), timeout: 30 * time.Second}
	if o.url == "" {
		o.url = "http://127.0.0.1:8083"
	}
	fs.StringVar(&o.url, "url", o.url, "REST API of any worker (default $FRESHET_URL)")
	output := fs.String("o", "table", "output: table or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := newClient(o)
	if err != nil {
		fmt.Fprintf(stderr, "freshet cluster: %v\n", err)
		return 2
	}
	var st herder.ClusterState
	if _, err := c.do(ctx, "GET", "/cluster", nil, &st); err != nil {
		fmt.Fprintf(stderr, "freshet cluster: %v\n", err)
		return 1
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
		return 0
	}
	state := "stable"
	if !st.Stable {
		state = "rebalancing"
	}
	fmt.Fprintf(stdout, "generation %d (%s), leader %s, asked %s\n\n", st.Generation, state, st.Leader, st.Worker)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKER\tLEADER\tCONNECTORS\tTASKS")
	for _, m := range st.Members {
		lead := ""
		if m.Leader {
			lead = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Worker, lead, list(m.Connectors), list(m.Tasks))
	}
	_ = tw.Flush()
	for _, h := range st.Held {
		fmt.Fprintf(stdout, "held for %s since %s: %s\n", h.Worker, h.Since.Format(time.RFC3339), h.Item)
	}
	return 0
}

func list(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}
