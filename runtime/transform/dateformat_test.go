package transform

import (
	"testing"
	"time"
)

func TestDateFormat(t *testing.T) {
	at := time.Date(2024, 3, 5, 14, 7, 9, 42e6, time.UTC)
	midnight := time.Date(2009, 11, 1, 0, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		pattern string
		t       time.Time
		want    string
	}{
		{"yyyyMMdd", at, "20240305"},
		{"yyyy-MM-dd HH:mm:ss.SSS", at, "2024-03-05 14:07:09.042"},
		{"yy/M/d H:m:s.S", at, "24/3/5 14:7:9.42"},
		{"yyyyy", at, "02024"},
		{"MMM MMMM EEE EEEE", at, "Mar March Tue Tuesday"},
		{"D u", at, "65 2"},
		{"hh a KK kk", at, "02 PM 02 14"},
		{"hh a KK kk", midnight, "12 AM 00 24"},
		{"'week' yyyy", at, "week 2024"},
		{"'o''clock' ''", at, "o'clock '"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX Z z G", at, "2024-03-05T14:07:09Z +0000 UTC AD"},
		{"yyyyMMdd-2-'Jan'", at, "20240305-2-Jan"},
	} {
		t.Run(tc.pattern, func(t *testing.T) {
			f, err := parseDateFormat(tc.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(f.appendFormat(nil, tc.t)); got != tc.want {
				t.Errorf("format = %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"yyyy-ww", "YYYY", "'open", "yyyy q"} {
		if _, err := parseDateFormat(bad); err == nil {
			t.Errorf("parseDateFormat(%q) succeeded, want an error", bad)
		}
	}
}
