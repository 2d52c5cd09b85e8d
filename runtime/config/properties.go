package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ReadProperties parses Java .properties text, as java.util.Properties.load
// does:
//
//   - a line whose first non-blank character is '#' or '!' is a comment;
//   - the key ends at the first unescaped '=', ':' or blank; blanks around the
//     separator are skipped, so "k=v", "k: v" and "k v" are all k→"v";
//   - a line ending in an odd number of backslashes continues on the next
//     line, whose leading blanks are dropped;
//   - escapes \t \n \r \f and \uXXXX are decoded (UTF-16 surrogate pairs
//     combine); a backslash before any other character yields that character;
//   - trailing blanks of a value are kept; a key given twice keeps the last
//     value.
//
// Unlike Java, which reads properties files as ISO-8859-1, the input is read
// as UTF-8. Errors are *SyntaxError values naming the line.
func ReadProperties(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read properties: %w", err)
	}
	if !utf8.Valid(data) {
		return nil, &SyntaxError{Line: invalidUTF8Line(data), Msg: "invalid UTF-8"}
	}
	lines := splitLines(string(data))
	out := make(map[string]string)
	for i := 0; i < len(lines); {
		lineNo := i + 1
		line := trimBlankLeft(lines[i])
		i++
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for endsInEscape(line) {
			line = line[:len(line)-1]
			if i == len(lines) {
				break
			}
			line += trimBlankLeft(lines[i])
			i++
		}
		k, v, err := splitKeyValue(line)
		if err != nil {
			return nil, &SyntaxError{Line: lineNo, Msg: err.Error()}
		}
		out[k] = v
	}
	return out, nil
}

// LoadProperties reads the .properties file at path. Errors name the file
// and, for syntax errors, the line.
func LoadProperties(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load properties: %w", err)
	}
	defer f.Close()
	m, err := ReadProperties(f)
	if se, ok := errors.AsType[*SyntaxError](err); ok {
		se.File = path
		return nil, se
	}
	if err != nil {
		return nil, fmt.Errorf("load properties %s: %w", path, err)
	}
	return m, nil
}

// splitLines splits at \n, \r\n and \r, the line terminators Java accepts.
func splitLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimBlankLeft(s string) string {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return s[i:]
}

// endsInEscape reports whether s ends in an odd number of backslashes, which
// makes its line continue on the next one.
func endsInEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func splitKeyValue(line string) (key, value string, err error) {
	keyEnd, valueStart, hasSep, escaped := len(line), len(line), false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		if !escaped {
			if c == '=' || c == ':' {
				keyEnd, valueStart, hasSep = i, i+1, true
				break
			}
			if isBlank(c) {
				keyEnd, valueStart = i, i+1
				break
			}
		}
		escaped = c == '\\' && !escaped
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isBlank(c) {
			if hasSep || (c != '=' && c != ':') {
				break
			}
			hasSep = true
		}
		valueStart++
	}
	if key, err = unescape(line[:keyEnd]); err != nil {
		return "", "", err
	}
	if value, err = unescape(line[valueStart:]); err != nil {
		return "", "", err
	}
	return key, value, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			if c != '\\' {
				b.WriteByte(c)
			}
			continue
		}
		i++
		switch c = s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return "", errors.New(`malformed \uXXXX escape`)
			}
			i += 4
			if utf16.IsSurrogate(r) && strings.HasPrefix(s[i+1:], `\u`) {
				if r2, ok := hex4(s[i+3:]); ok {
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						r = pair
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			// Not an escape Java knows: the backslash is dropped.
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:4], 16, 16)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

func invalidUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}
