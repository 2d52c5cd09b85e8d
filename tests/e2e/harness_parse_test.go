package e2e

import (
	"fmt"
	"slices"
	"testing"
)

// The harness's own checks run without servers: a wrong parser would make
// the end-to-end tests pass or fail for the wrong reason.
func TestCoordParser(t *testing.T) {
	run1 := "tp/0/0\t{\"a\":1}\n" +
		"tp/1/0\tnull\n" +
		"tp/0/1\t{\"a\":2, \"c" // the worker died in the middle of this write
	run2 := "tp/0/1\t{\"a\":2}\n" + // redelivered, glued to the cut line
		"tp/1/1\t{\"b\":1}\n" +
		"tp/1/2\tx\ttp/2\n" + // a value that holds the prefix but no coordinates
		"garbage\n" +
		"tp/2/0\tpartial" // no newline yet: not parsed
	out := run1 + run2
	p := newCoordParser("tp", true)
	// Feed in small pieces, as a growing file is read.
	for i := 0; i < len(out); i += 5 {
		p.feed([]byte(out[i:min(i+5, len(out))]))
	}
	var got []string
	for _, c := range p.entries {
		got = append(got, fmt.Sprintf("%d/%d@%d=%s", c.Partition, c.Offset, c.Pos, c.Value))
	}
	want := []string{
		`0/0@0={"a":1}`,
		`1/0@15=null`,
		`0/1@27={"a":2, "c`,
		`0/1@44={"a":2}`,
		`1/1@59={"b":1}`,
		"1/2@74=x\ttp/2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("entries:\n got %q\nwant %q", got, want)
	}
	if p.glued != 1 || p.junk != 1 {
		t.Errorf("glued %d, junk %d; want 1 and 1", p.glued, p.junk)
	}

	end := map[int32]int64{0: 2, 1: 3, 2: 1}
	d := analyze(p.entries, end, []int64{int64(len(run1))})
	if d.nMissing != 1 || d.missing[2][0] != 0 || d.beyond != 0 || len(d.disorder) != 0 {
		t.Errorf("analyze: missing %d %v, beyond %d, disorder %v; want only 2/0 missing", d.nMissing, d.missing, d.beyond, d.disorder)
	}
	if d.lines-d.distinct() != 1 {
		t.Errorf("duplicates %d, want 1", d.lines-d.distinct())
	}
	// Taken as one run, partition 0 goes back from 1 to 1.
	if d := analyze(p.entries, end, nil); len(d.disorder) != 1 {
		t.Errorf("one run: disorder %v, want partition 0 flagged once", d.disorder)
	}
	if d := analyze(p.entries, map[int32]int64{0: 1, 1: 3}, nil); d.beyond != 2 {
		t.Errorf("beyond %d, want 2 (0/1 twice)", d.beyond)
	}
	if ok, why := covers(p, end); ok {
		t.Errorf("covers says yes, but 2/0 is missing")
	} else if why != "partition 2: 0 of 1 offsets" {
		t.Errorf("covers explains %q", why)
	}
}
