package kafka

import (
	"errors"
	"fmt"
	"strings"
)

// jaasConfig is the one login module of a sasl.jaas.config value.
type jaasConfig struct {
	module  string
	flag    string
	options map[string]string
}

// parseJAAS parses a sasl.jaas.config value the way Kafka's JaasConfig does:
//
//	<LoginModuleClass> <required|requisite|sufficient|optional> [key=value ...];
//
// Values are bare words or strings in double or single quotes, where a
// backslash escapes the next character (\n, \t, \r, \b, \f, \a, \v and octal
// \NNN as in Java); // and /* */ comments are skipped. Exactly one login
// module is allowed, as in Kafka. Errors give positions, never values,
// because values hold passwords.
func parseJAAS(s string) (jaasConfig, error) {
	lx := &jaasLexer{s: s}
	var mods []jaasConfig
	for {
		tok, err := lx.next()
		if err != nil {
			return jaasConfig{}, err
		}
		if tok.kind == tokEOF {
			break
		}
		if tok.kind != tokWord {
			return jaasConfig{}, fmt.Errorf("expected a login module class at character %d", tok.pos+1)
		}
		mod := jaasConfig{module: tok.text, options: map[string]string{}}
		flag, err := lx.next()
		if err != nil {
			return jaasConfig{}, err
		}
		switch f := strings.ToLower(flag.text); {
		case flag.kind == tokWord && (f == "required" || f == "requisite" || f == "sufficient" || f == "optional"):
			mod.flag = f
		default:
			return jaasConfig{}, fmt.Errorf("expected a control flag (required, requisite, sufficient or optional) after %s at character %d", mod.module, flag.pos+1)
		}
		for {
			tok, err := lx.next()
			if err != nil {
				return jaasConfig{}, err
			}
			if tok.kind == tokSemicolon {
				break
			}
			if tok.kind == tokEOF {
				return jaasConfig{}, errors.New(`expected ";" at the end of the login module`)
			}
			if tok.kind != tokWord {
				return jaasConfig{}, fmt.Errorf("expected an option name at character %d", tok.pos+1)
			}
			key := tok.text
			if eq, err := lx.next(); err != nil {
				return jaasConfig{}, err
			} else if eq.kind != tokEquals {
				return jaasConfig{}, fmt.Errorf(`expected "=" after option %s at character %d`, key, eq.pos+1)
			}
			val, err := lx.next()
			if err != nil {
				return jaasConfig{}, err
			}
			if val.kind != tokWord && val.kind != tokQuoted {
				return jaasConfig{}, fmt.Errorf("expected a value for option %s at character %d", key, val.pos+1)
			}
			mod.options[key] = val.text
		}
		mods = append(mods, mod)
	}
	if len(mods) != 1 {
		return jaasConfig{}, fmt.Errorf("expected exactly one login module, found %d", len(mods))
	}
	return mods[0], nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokQuoted
	tokEquals
	tokSemicolon
)

type jaasToken struct {
	kind tokKind
	text string
	pos  int // byte offset in the input
}

type jaasLexer struct {
	s   string
	pos int
}

func (lx *jaasLexer) next() (jaasToken, error) {
	if err := lx.skipSpaceAndComments(); err != nil {
		return jaasToken{}, err
	}
	start := lx.pos
	if lx.pos == len(lx.s) {
		return jaasToken{kind: tokEOF, pos: start}, nil
	}
	switch c := lx.s[lx.pos]; c {
	case '=':
		lx.pos++
		return jaasToken{kind: tokEquals, pos: start}, nil
	case ';':
		lx.pos++
		return jaasToken{kind: tokSemicolon, pos: start}, nil
	case '"', '\'':
		text, err := lx.quoted(c)
		return jaasToken{kind: tokQuoted, text: text, pos: start}, err
	}
	for lx.pos < len(lx.s) && !strings.ContainsRune(" \t\r\n\f=;\"'", rune(lx.s[lx.pos])) &&
		!strings.HasPrefix(lx.s[lx.pos:], "//") && !strings.HasPrefix(lx.s[lx.pos:], "/*") {
		lx.pos++
	}
	return jaasToken{kind: tokWord, text: lx.s[start:lx.pos], pos: start}, nil
}

func (lx *jaasLexer) skipSpaceAndComments() error {
	for lx.pos < len(lx.s) {
		rest := lx.s[lx.pos:]
		switch {
		case strings.ContainsRune(" \t\r\n\f", rune(rest[0])):
			lx.pos++
		case strings.HasPrefix(rest, "//"):
			end := strings.IndexAny(rest, "\r\n")
			if end < 0 {
				end = len(rest)
			}
			lx.pos += end
		case strings.HasPrefix(rest, "/*"):
			end := strings.Index(rest[2:], "*/")
			if end < 0 {
				return fmt.Errorf("unterminated /* comment at character %d", lx.pos+1)
			}
			lx.pos += end + 4
		default:
			return nil
		}
	}
	return nil
}

// quoted reads a string in quote q, as java.io.StreamTokenizer does.
func (lx *jaasLexer) quoted(q byte) (string, error) {
	start := lx.pos
	lx.pos++ // opening quote
	var b strings.Builder
	for lx.pos < len(lx.s) {
		c := lx.s[lx.pos]
		lx.pos++
		switch {
		case c == q:
			return b.String(), nil
		case c == '\n' || c == '\r':
			return "", fmt.Errorf("unterminated quoted string at character %d", start+1)
		case c != '\\' || lx.pos == len(lx.s):
			b.WriteByte(c)
			continue
		}
		c = lx.s[lx.pos]
		lx.pos++
		switch c {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n := int(c - '0')
			maxDigits := 2
			if c > '3' {
				maxDigits = 1
			}
			for i := 0; i < maxDigits && lx.pos < len(lx.s) && lx.s[lx.pos] >= '0' && lx.s[lx.pos] <= '7'; i++ {
				n = n*8 + int(lx.s[lx.pos]-'0')
				lx.pos++
			}
			b.WriteRune(rune(n))
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("unterminated quoted string at character %d", start+1)
}
