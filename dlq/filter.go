package dlq

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// FilterSpec is a filter as the command line and the REST API spell it;
// ParseFilter checks it. Empty fields do not filter.
type FilterSpec struct {
	// ErrorClass selects by Freshet error class (record, retriable,
	// fatal) or by exception class, its full name or the part after the
	// last dot (DataException).
	ErrorClass string `json:"error_class,omitempty"`
	// Match is a regular expression (RE2) matched against the exception
	// message and the exception class name.
	Match string `json:"match,omitempty"`
	// Since and Until bound the failure time (__freshet.last.failure, or
	// the record timestamp when absent), inclusive and exclusive. Each is
	// an RFC 3339 time, a date (2006-01-02, UTC), or a duration before now
	// (90m, 36h, 7d).
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
	// FromOffset starts the scan at this dead-letter offset, in every
	// partition.
	FromOffset string `json:"from_offset,omitempty"`
	// Limit stops after this many matching records.
	Limit string `json:"limit,omitempty"`
	// All includes records already drained (replayed or skipped); only
	// inspect accepts it.
	All bool `json:"all,omitempty"`
}

// Filter selects dead-letter records. The zero Filter selects every record
// not yet drained.
type Filter struct {
	ErrorClass string
	Match      *regexp.Regexp
	Since      time.Time // zero: no lower bound
	Until      time.Time // zero: no upper bound
	FromOffset int64
	Limit      int // 0: no limit
	// IncludeDrained selects records already drained as well.
	IncludeDrained bool
}

// ParseFilter checks a FilterSpec and returns the Filter it describes. It
// rejects, with every problem joined, what would quietly select the wrong
// records: a bad regular expression, a time in the future, since after
// until, a negative offset or limit, an unknown time format.
func ParseFilter(s FilterSpec, now time.Time) (Filter, error) {
	var f Filter
	var errs []error
	bad := func(name, value, why string) {
		errs = append(errs, &FilterError{Name: name, Value: value, Reason: why})
	}
	f.ErrorClass = strings.TrimSpace(s.ErrorClass)
	if s.Match != "" {
		re, err := regexp.Compile(s.Match)
		if err != nil {
			bad("match", s.Match, "not a valid regular expression: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		f.Match = re
	}
	for _, t := range []struct {
		name, value string
		to          *time.Time
	}{{"since", s.Since, &f.Since}, {"until", s.Until, &f.Until}} {
		if t.value == "" {
			continue
		}
		v, err := parseTime(t.value, now)
		switch {
		case err != nil:
			bad(t.name, t.value, err.Error())
		case v.After(now):
			bad(t.name, t.value, fmt.Sprintf("%s is in the future (now is %s)", v.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
		default:
			*t.to = v
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		bad("until", s.Until, "must be after since ("+s.Since+")")
	}
	if s.FromOffset != "" {
		n, err := strconv.ParseInt(s.FromOffset, 10, 64)
		if err != nil || n < 0 {
			bad("from-offset", s.FromOffset, "want an offset ≥ 0")
		}
		f.FromOffset = n
	}
	if s.Limit != "" {
		n, err := strconv.Atoi(s.Limit)
		if err != nil || n < 0 {
			bad("limit", s.Limit, "want a count ≥ 0 (0: no limit)")
		}
		f.Limit = n
	}
	f.IncludeDrained = s.All
	return f, errors.Join(errs...)
}

// parseTime reads an RFC 3339 time, a date, or a duration before now.
func parseTime(s string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.ParseFloat(n, 64); err == nil && days >= 0 {
			return now.Add(-time.Duration(days * 24 * float64(time.Hour))), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, errors.New("want a duration before now, not a negative one")
		}
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New("want an RFC 3339 time (2024-05-01T14:00:00Z), a date (2024-05-01) or a duration before now (90m, 36h, 7d)")
}

// match reports whether a record passes the filter's header and time
// conditions (not its offset and limit, which the scan applies). It reads
// only headers: values are decoded after a record is selected.
func (f *Filter) match(m *meta, r *kgo.Record) bool {
	if f.ErrorClass != "" && !f.matchClass(m) {
		return false
	}
	if !f.Since.IsZero() || !f.Until.IsZero() {
		t := m.failureTime(r)
		if !f.Since.IsZero() && t.Before(f.Since) {
			return false
		}
		if !f.Until.IsZero() && !t.Before(f.Until) {
			return false
		}
	}
	if f.Match != nil {
		msg, _ := m.bytes(fMessage)
		ex, _ := m.bytes(fExceptionClass)
		if !f.Match.Match(msg) && !f.Match.Match(ex) {
			return false
		}
	}
	return true
}

func (f *Filter) matchClass(m *meta) bool {
	want := []byte(f.ErrorClass)
	if ec, ok := m.bytes(fErrorClass); ok && bytes.EqualFold(ec, want) {
		return true
	}
	ex, ok := m.bytes(fExceptionClass)
	if !ok {
		return false
	}
	if bytes.EqualFold(ex, want) {
		return true
	}
	if i := bytes.LastIndexAny(ex, ".*"); i >= 0 {
		return bytes.EqualFold(ex[i+1:], want)
	}
	return false
}

// String describes the filter for the audit trail and messages.
func (f Filter) String() string {
	var parts []string
	if f.ErrorClass != "" {
		parts = append(parts, "error-class="+f.ErrorClass)
	}
	if f.Match != nil {
		parts = append(parts, "match="+strconv.Quote(f.Match.String()))
	}
	if !f.Since.IsZero() {
		parts = append(parts, "since="+f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "until="+f.Until.UTC().Format(time.RFC3339Nano))
	}
	if f.FromOffset > 0 {
		parts = append(parts, "from-offset="+strconv.FormatInt(f.FromOffset, 10))
	}
	if f.Limit > 0 {
		parts = append(parts, "limit="+strconv.Itoa(f.Limit))
	}
	if f.IncludeDrained {
		parts = append(parts, "all")
	}
	if len(parts) == 0 {
		return "all records not yet drained"
	}
	return strings.Join(parts, " ")
}
