package transform

import (
	"fmt"
	"strconv"
	"time"
)

// dateFormat is a parsed java.text.SimpleDateFormat pattern. It formats
// directly instead of through a Go layout: a Go layout would read literal
// text such as "2" or "Jan" in the pattern as fields.
type dateFormat []datePart

// datePart is a run of one pattern letter (letter, count) or literal text.
type datePart struct {
	letter byte
	count  int
	lit    string
}

// dateLetters are the supported SimpleDateFormat letters. Week-based letters
// (Y w W F) are not supported.
const dateLetters = "GyMLdDEuaHkKhmsSzZX"

// parseDateFormat parses a SimpleDateFormat pattern: runs of letters are
// fields, text in single quotes is literal, and two single quotes make one.
func parseDateFormat(p string) (dateFormat, error) {
	var f dateFormat
	lit := func(s string) {
		if n := len(f); n > 0 && f[n-1].letter == 0 {
			f[n-1].lit += s
			return
		}
		f = append(f, datePart{lit: s})
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit("'")
				i += 2
				continue
			}
			i++
			var s []byte
			for {
				if i >= len(p) {
					return nil, fmt.Errorf("Unterminated quote in date pattern %q", p)
				}
				if p[i] == '\'' {
					if i+1 < len(p) && p[i+1] == '\'' {
						s = append(s, '\'')
						i += 2
						continue
					}
					i++
					break
				}
				s = append(s, p[i])
				i++
			}
			lit(string(s))
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if !containsByte(dateLetters, c) {
				return nil, fmt.Errorf("Illegal or unsupported pattern character '%c' in date pattern %q (supported: %s)", c, p, dateLetters)
			}
			n := 1
			for i+n < len(p) && p[i+n] == c {
				n++
			}
			f = append(f, datePart{letter: c, count: n})
			i += n
		default:
			lit(string(c))
			i++
		}
	}
	return f, nil
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// msTime converts epoch milliseconds to a UTC time.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// appendFormat appends t, which must be in UTC, formatted as f.
func (f dateFormat) appendFormat(b []byte, t time.Time) []byte {
	for _, p := range f {
		n := p.count
		switch p.letter {
		case 0:
			b = append(b, p.lit...)
		case 'G':
			b = append(b, "AD"...)
			if t.Year() <= 0 {
				b = append(b[:len(b)-2], "BC"...)
			}
		case 'y':
			y := t.Year()
			if n == 2 {
				b = appendPadded(b, y%100, 2)
			} else {
				b = appendPadded(b, y, n)
			}
		case 'M', 'L':
			switch {
			case n >= 4:
				b = append(b, t.Month().String()...)
			case n == 3:
				b = append(b, t.Month().String()[:3]...)
			default:
				b = appendPadded(b, int(t.Month()), n)
			}
		case 'd':
			b = appendPadded(b, t.Day(), n)
		case 'D':
			b = appendPadded(b, t.YearDay(), n)
		case 'E':
			if n >= 4 {
				b = append(b, t.Weekday().String()...)
			} else {
				b = append(b, t.Weekday().String()[:3]...)
			}
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b = appendPadded(b, wd, n)
		case 'a':
			if t.Hour() < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'H':
			b = appendPadded(b, t.Hour(), n)
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b = appendPadded(b, h, n)
		case 'K':
			b = appendPadded(b, t.Hour()%12, n)
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = appendPadded(b, h, n)
		case 'm':
			b = appendPadded(b, t.Minute(), n)
		case 's':
			b = appendPadded(b, t.Second(), n)
		case 'S':
			b = appendPadded(b, t.Nanosecond()/int(time.Millisecond), n)
		case 'z':
			if n >= 4 {
				b = append(b, "Coordinated Universal Time"...)
			} else {
				b = append(b, "UTC"...)
			}
		case 'Z':
			b = append(b, "+0000"...)
		case 'X':
			b = append(b, 'Z')
		}
	}
	return b
}

// appendPadded appends v in decimal, zero-padded to width digits.
func appendPadded(b []byte, v, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var d [20]byte
	s := strconv.AppendInt(d[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
