package transform

import (
	"regexp"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// TopicNameMatches: the topic matches pattern as a whole.

func topicNameMatchesDef() *sdk.ConfigDef {
	return sdk.NewConfigDef().String("pattern", sdk.Required,
		"A Java regular expression (run as Go RE2) that must match the whole topic name for the predicate to be true.",
		sdk.Check(sdk.NonEmpty()), regexValidator())
}

type topicNameMatches struct{ re *regexp.Regexp }

func newTopicNameMatches(c conf) (predicate, error) {
	re, err := compileFull(c, "pattern")
	if err != nil {
		return nil, err
	}
	return topicNameMatches{re: re}, nil
}

func (p topicNameMatches) test(r *sdk.Record) bool { return p.re.MatchString(r.Topic) }

// HasHeaderKey: the record has at least one header with the name.

func hasHeaderKeyDef() *sdk.ConfigDef {
	return sdk.NewConfigDef().String("name", sdk.Required,
		"The header name whose presence makes the predicate true.",
		sdk.Check(sdk.NonEmpty()))
}

type hasHeaderKey struct{ name string }

func newHasHeaderKey(c conf) (predicate, error) { return hasHeaderKey{name: c.str("name")}, nil }

func (p hasHeaderKey) test(r *sdk.Record) bool {
	_, ok := r.Header(p.name)
	return ok
}

// RecordIsTombstone: the value is null.

type recordIsTombstone struct{}

func (recordIsTombstone) test(r *sdk.Record) bool { return r.Value == nil }
