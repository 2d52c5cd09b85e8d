package transform

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// TimestampRouter: the topic becomes topic.format with ${topic} and
// ${timestamp} (the record timestamp in timestamp.format, UTC) substituted.

func timestampRouterDef() *sdk.ConfigDef {
	return sdk.NewConfigDef().
		String("topic.format", "${topic}-${timestamp}",
			"Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp, respectively.",
			sdk.WithImportance(sdk.High)).
		String("timestamp.format", "yyyyMMdd",
			"Format string for the timestamp that is compatible with java.text.SimpleDateFormat (formatted in UTC).",
			sdk.WithImportance(sdk.High), sdk.Check(func(v any) error {
				_, err := parseDateFormat(v.(string))
				return err
			}))
}

type timestampRouter struct {
	topicFormat string
	format      dateFormat
}

func newTimestampRouter(c conf) (transformer, error) {
	f, err := parseDateFormat(c.str("timestamp.format"))
	if err != nil { // validated by the Def; kept for safety
		return nil, c.invalid("timestamp.format", c.str("timestamp.format"), "%v", err)
	}
	return &timestampRouter{topicFormat: c.str("topic.format"), format: f}, nil
}

func (t *timestampRouter) apply(r *sdk.Record) (bool, error) {
	ms, ok := timestampMillis(r)
	if !ok {
		return false, errors.New("timestamp missing on record")
	}
	var buf [32]byte
	ts := t.format.appendFormat(buf[:0], msTime(ms))
	topic := strings.ReplaceAll(t.topicFormat, "${topic}", r.Topic)
	r.Topic = strings.ReplaceAll(topic, "${timestamp}", string(ts))
	return true, nil
}

// RegexRouter: a topic that regex matches as a whole becomes replacement,
// with Java's group references ($1, ${name}) filled in.

func regexRouterDef() *sdk.ConfigDef {
	return sdk.NewConfigDef().
		String("regex", sdk.Required, "Regular expression to use for matching (Java syntax, run as Go RE2); it must match the whole topic.",
			regexValidator(), sdk.WithImportance(sdk.High)).
		String("replacement", sdk.Required, "Replacement string: Java syntax, $1 or ${name} refer to groups of regex, \\$ is a literal $.",
			sdk.WithImportance(sdk.High))
}

type regexRouter struct {
	re       *regexp.Regexp
	template string // replacement in Go's regexp.Expand syntax
}

func newRegexRouter(c conf) (transformer, error) {
	re, err := compileFull(c, "regex")
	if err != nil {
		return nil, err
	}
	repl := c.str("replacement")
	tmpl, err := javaReplacement(repl, re)
	if err != nil {
		return nil, c.invalid("replacement", repl, "%v", err)
	}
	return &regexRouter{re: re, template: tmpl}, nil
}

func (t *regexRouter) apply(r *sdk.Record) (bool, error) {
	m := t.re.FindStringSubmatchIndex(r.Topic)
	if m == nil {
		return true, nil
	}
	r.Topic = string(t.re.ExpandString(nil, t.template, r.Topic, m))
	return true, nil
}

// javaReplacement translates a java.util.regex.Matcher replacement string to
// Go's regexp.Expand template. Java reads $ followed by digits greedily only
// while the number is a valid group ($12 is group 1 then "2" when there are
// fewer than 12 groups); Go would read $12x as the group named "12x", so every
// reference is emitted braced, and a literal $ as $$. Errors that Java raises
// only when a topic matches are reported here, at config time.
func javaReplacement(s string, re *regexp.Regexp) (string, error) {
	groups := re.NumSubexp()
	names := map[string]bool{}
	for _, n := range re.SubexpNames() {
		if n != "" {
			names[n] = true
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			i++
			if i == len(s) {
				return "", errors.New("character to be escaped is missing")
			}
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case '$':
			i++
			if i == len(s) {
				return "", errors.New("Illegal group reference: group index is missing")
			}
			if s[i] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return "", errors.New("named capturing group is missing trailing '}'")
				}
				name := s[i+1 : i+end]
				if !names[name] {
					return "", fmt.Errorf("No group with name {%s}", name)
				}
				b.WriteString("${" + name + "}")
				i += end
				continue
			}
			if s[i] < '0' || s[i] > '9' {
				return "", errors.New("Illegal group reference")
			}
			n := int(s[i] - '0')
			if n > groups {
				return "", fmt.Errorf("No group %d (regex has %d)", n, groups)
			}
			for i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				next := n*10 + int(s[i+1]-'0')
				if next > groups {
					break
				}
				n = next
				i++
			}
			fmt.Fprintf(&b, "${%d}", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// Filter drops every record; use it with a predicate.

type filter struct{}

func (filter) apply(*sdk.Record) (bool, error) { return false, nil }
