package datagen

import (
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type step struct {
		at   time.Time
		n    int
		wait time.Duration // checked when n == 0, to the millisecond
	}
	for _, tc := range []struct {
		name  string
		rate  float64
		steps []step
	}{
		{"batches of 50 ms at 1000/s", 1000, []step{
			{t0, 0, 50 * time.Millisecond},
			{ms(20), 0, 30 * time.Millisecond},
			{ms(50), 50, 0},
			{ms(60), 0, 40 * time.Millisecond},
			{ms(130), 80, 0}, // late: everything due so far
			{ms(1000), 500, 0},
			{ms(1000), 370, 0},
			{ms(1000), 0, 50 * time.Millisecond},
		}},
		{"a backlog over a second is forgiven", 1000, []step{
			{ms(60000), 500, 0}, // a minute late: not 60000 records
			{ms(60000), 500, 0},
			{ms(60000), 0, 50 * time.Millisecond},
		}},
		{"low rate waits for one record", 2, []step{
			{t0, 0, 500 * time.Millisecond},
			{ms(499), 0, time.Millisecond},
			{ms(500), 1, 0},
			{ms(900), 0, 100 * time.Millisecond},
			{ms(1000), 1, 0},
		}},
		{"high rate is capped per batch", 1e6, []step{
			{ms(1), 500, 0},
			{ms(1), 500, 0},
			{ms(1), 0, time.Millisecond},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPacer(tc.rate, 500, t0)
			for i, s := range tc.steps {
				n, wait := p.take(s.at)
				if n != s.n {
					t.Fatalf("step %d at +%v: n = %d, want %d", i, s.at.Sub(t0), n, s.n)
				}
				if n == 0 && wait.Round(time.Millisecond) != s.wait {
					t.Fatalf("step %d at +%v: wait = %v, want %v", i, s.at.Sub(t0), wait, s.wait)
				}
				if n == 0 && wait <= 0 {
					t.Fatalf("step %d: no records and no wait", i)
				}
			}
		})
	}
}

// TestPacerKeepsRate drives the pacer with a fake clock that jumps to each
// wait it is told, and checks the records handed out over a minute.
func TestPacerKeepsRate(t *testing.T) {
	for _, rate := range []float64{0.5, 7, 1000, 25000, 200000} {
		t0 := time.Unix(0, 0)
		p := newPacer(rate, 500, t0)
		now, total, polls := t0, 0, 0
		for now.Before(t0.Add(time.Minute)) {
			n, wait := p.take(now)
			total += n
			polls++
			now = now.Add(wait)
			if n > 0 {
				now = now.Add(time.Millisecond) // the time it takes to send a batch
			}
		}
		want := rate * 60
		if float64(total) < want*0.98-1 || float64(total) > want*1.02+1 {
			t.Errorf("rate %v: %d records in a minute, want about %v", rate, total, want)
		}
		if rate >= 1000 && polls > int(60/batchWindow.Seconds())*2+int(want/500)*2 {
			t.Errorf("rate %v: %d polls in a minute; batches are too small", rate, polls)
		}
	}
}
