package convert

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decoder reads JSON text straight into Kafka Connect values, without an
// intermediate tree. It accepts what Jackson accepts as Kafka Connect
// configures it (standard JSON plus leading zeros in numbers, duplicate keys
// with the last one winning, at most 1000 levels of nesting), and rejects
// content after the value, which Jackson ignores (see doc.go).
//
// Strings without escapes are substrings of s, which is the record's bytes
// copied once.
type decoder struct {
	s           string
	i           int
	depth       int
	replaceNull bool
}

// maxDepth is Jackson's default limit on nesting.
const maxDepth = 1000

// syntaxError is malformed JSON, with where it is.
type syntaxError struct {
	msg       string
	offset    int
	line, col int
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("Converting byte[] to Kafka Connect data failed due to serialization error: %s at line %d, column %d (byte offset %d)",
		e.msg, e.line, e.col, e.offset)
}

func (d *decoder) syntaxErr(format string, args ...any) error {
	off := min(d.i, len(d.s))
	line := 1 + strings.Count(d.s[:off], "\n")
	col := off + 1
	if nl := strings.LastIndexByte(d.s[:off], '\n'); nl >= 0 {
		col = off - nl
	}
	return &syntaxError{msg: fmt.Sprintf(format, args...), offset: off, line: line, col: col}
}

func (d *decoder) eof() error { return d.syntaxErr("unexpected end of input") }

func (d *decoder) unexpected(what string) error {
	if d.i >= len(d.s) {
		return d.eof()
	}
	r, _ := utf8.DecodeRuneInString(d.s[d.i:])
	return d.syntaxErr("unexpected character %q: %s", r, what)
}

func (d *decoder) ws() {
	if d.i < len(d.s) && d.s[d.i] > ' ' {
		return
	}
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// skipDocument checks that s is one JSON value (or only whitespace, which
// Kafka reads as null) with nothing after it.
func (d *decoder) skipDocument() error {
	d.ws()
	if d.i >= len(d.s) {
		return nil
	}
	if err := d.skip(); err != nil {
		return err
	}
	return d.end()
}

// end checks that only whitespace follows the value.
func (d *decoder) end() error {
	d.ws()
	if d.i < len(d.s) {
		return d.unexpected("expected end of input after the JSON value")
	}
	return nil
}

// skip checks and steps over one value.
func (d *decoder) skip() error {
	if d.i >= len(d.s) {
		return d.eof()
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.skipObject()
	case c == '[':
		return d.skipArray()
	case c == '"':
		_, _, err := d.scanString()
		return err
	case c == 't':
		return d.lit("true")
	case c == 'f':
		return d.lit("false")
	case c == 'n':
		return d.lit("null")
	case c == '-' || isDigit(c):
		_, err := d.scanNumber()
		return err
	}
	return d.badValue()
}

// badValue reports what stands where a value should: a word (NaN, nul) as
// an unrecognized token, anything else as an unexpected character.
func (d *decoder) badValue() error {
	const what = "expected a JSON value (string, number, array, object, true, false or null)"
	if d.i < len(d.s) && isIdentByte(d.s[d.i]) {
		end := d.i
		for end < len(d.s) && isIdentByte(d.s[end]) {
			end++
		}
		return d.syntaxErr("unrecognized token %q: %s", d.s[d.i:end], what)
	}
	return d.unexpected(what)
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.syntaxErr("document nesting depth (%d) exceeds the maximum allowed (%d)", d.depth, maxDepth)
	}
	return nil
}

func (d *decoder) skipObject() error {
	if err := d.enter(); err != nil {
		return err
	}
	return d.members(func(string) error { return d.skip() })
}

func (d *decoder) skipArray() error {
	if err := d.enter(); err != nil {
		return err
	}
	_, err := d.elements(func(int) error { return d.skip() })
	return err
}

// members walks the object at d.i ('{', depth already entered), calling fn
// with d.i at each member's value; fn must consume the value.
func (d *decoder) members(fn func(key string) error) error {
	d.i++
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return d.unexpected("expected double-quote to start field name")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return d.unexpected("expected a colon to separate field name and value")
		}
		d.i++
		d.ws()
		if d.i >= len(d.s) {
			return d.eof()
		}
		if err := fn(key); err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.s) {
			return d.eof()
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return nil
		default:
			return d.unexpected("expected comma to separate object entries")
		}
	}
}

// elements walks the array at d.i ('[', depth already entered), calling fn
// with d.i at each element; fn must consume the element. It returns the
// number of elements.
func (d *decoder) elements(fn func(i int) error) (int, error) {
	d.i++
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		d.depth--
		return 0, nil
	}
	for n := 0; ; n++ {
		d.ws()
		if d.i >= len(d.s) {
			return n, d.eof()
		}
		if err := fn(n); err != nil {
			return n, err
		}
		d.ws()
		if d.i >= len(d.s) {
			return n, d.eof()
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return n + 1, nil
		default:
			return n, d.unexpected("expected comma to separate array entries")
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lit consumes a literal; like Jackson it rejects "nullx" and "tru".
func (d *decoder) lit(word string) error {
	if !strings.HasPrefix(d.s[d.i:], word) || d.i+len(word) < len(d.s) && isIdentByte(d.s[d.i+len(word)]) {
		end := d.i
		for end < len(d.s) && isIdentByte(d.s[end]) {
			end++
		}
		tok := d.s[d.i:end]
		if tok == "" {
			tok = d.s[d.i : d.i+1]
		}
		return d.syntaxErr("unrecognized token %q: expected a JSON value (string, number, array, object, true, false or null)", tok)
	}
	d.i += len(word)
	return nil
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '_' || c >= 0x80
}

// number is the text of a JSON number and whether it is integral (no
// fraction, no exponent), which is how Jackson tells an int from a decimal.
type number struct {
	text  string
	isInt bool
}

// maxNumberLen is Jackson's default limit on the length of a number.
const maxNumberLen = 1000

func (d *decoder) scanNumber() (number, error) {
	start := d.i
	i := d.i
	if d.s[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(d.s) && isDigit(d.s[i]) {
			i++
		}
		return i > j
	}
	if !digits() {
		d.i = i
		return number{}, d.unexpected("expected a digit in numeric value")
	}
	isInt := true
	if i < len(d.s) && d.s[i] == '.' {
		isInt = false
		i++
		if !digits() {
			d.i = i
			return number{}, d.unexpected("expected a digit after the decimal point")
		}
	}
	if i < len(d.s) && (d.s[i] == 'e' || d.s[i] == 'E') {
		isInt = false
		i++
		if i < len(d.s) && (d.s[i] == '+' || d.s[i] == '-') {
			i++
		}
		if !digits() {
			d.i = i
			return number{}, d.unexpected("expected a digit in the exponent")
		}
	}
	if i < len(d.s) && isIdentByte(d.s[i]) {
		d.i = i
		return number{}, d.unexpected("expected a space or a separator after a number")
	}
	d.i = i
	if i-start > maxNumberLen {
		return number{}, d.syntaxErr("number value length (%d) exceeds the maximum allowed (%d)", i-start, maxNumberLen)
	}
	return number{text: d.s[start:i], isInt: isInt}, nil
}

// scanString checks the string at d.i and steps over it, returning the
// offset after the closing quote and whether it has escapes.
func (d *decoder) scanString() (end int, escaped bool, err error) {
	i := d.i + 1
	for {
		for i < len(d.s) && plainASCII[d.s[i]] {
			i++
		}
		if i >= len(d.s) {
			d.i = i
			return 0, false, d.eof()
		}
		c := d.s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(d.s) {
				d.i = i + 1
				return 0, false, d.eof()
			}
			switch d.s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d.s) {
					d.i = len(d.s)
					return 0, false, d.eof()
				}
				for _, h := range []byte(d.s[i+2 : i+6]) {
					if unhex(h) < 0 {
						d.i = i + 2
						return 0, false, d.syntaxErr("unexpected character %q: expected a hex digit for a character escape sequence", rune(h))
					}
				}
				i += 6
			default:
				d.i = i + 1
				r, _ := utf8.DecodeRuneInString(d.s[i+1:])
				return 0, false, d.syntaxErr("unrecognized character escape %q", r)
			}
		case c < 0x20:
			d.i = i
			return 0, false, d.syntaxErr("illegal unquoted character (code %d): has to be escaped using backslash to be included in string value", c)
		case c < 0x80:
			i++
		default:
			r, size := utf8.DecodeRuneInString(d.s[i:])
			if r == utf8.RuneError && size == 1 {
				d.i = i
				return 0, false, d.syntaxErr("invalid UTF-8 byte 0x%02x", c)
			}
			i += size
		}
	}
}

// plainASCII marks the bytes that stand for themselves in a JSON string.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// str reads the string at d.i.
func (d *decoder) str() (string, error) {
	start := d.i
	end, escaped, err := d.scanString()
	if err != nil {
		return "", err
	}
	if !escaped {
		return d.s[start+1 : end-1], nil
	}
	return unescape(d.s[start+1 : end-1]), nil
}

// unescape decodes the escapes of a checked string body. Unpaired UTF-16
// surrogates become U+FFFD.
func unescape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				if r < 0xDC00 && i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := hex4(s[i+2:]); r2 >= 0xDC00 && r2 <= 0xDFFF {
						r = utf16.DecodeRune(r, r2)
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default: // '"', '\\', '/'
			b = append(b, s[i+1])
		}
		i += 2
	}
	return string(b)
}

func hex4(s string) rune {
	return rune(unhex(s[0])<<12 | unhex(s[1])<<8 | unhex(s[2])<<4 | unhex(s[3]))
}

// nodeType names the JSON value at d.i as Jackson's JsonNodeType does, for
// messages.
func (d *decoder) nodeType() string {
	if d.i >= len(d.s) {
		return "MISSING"
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return "OBJECT"
	case c == '[':
		return "ARRAY"
	case c == '"':
		return "STRING"
	case c == 't' || c == 'f':
		return "BOOLEAN"
	case c == 'n':
		return "NULL"
	}
	return "NUMBER"
}
