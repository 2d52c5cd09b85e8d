package transform_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/runtime/transform"
)

func TestChainPredicates(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{
			"transforms":           "drop",
			"transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	topic := []string{"predicates", "isAudit", "predicates.isAudit.type",
		"org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "predicates.isAudit.pattern", "audit-.*"}
	header := []string{"predicates", "hasTrace", "predicates.hasTrace.type", "HasHeaderKey", "predicates.hasTrace.name", "trace"}
	tomb := []string{"predicates", "tomb", "predicates.tomb.type", "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"}
	with := func(p []string, kv ...string) []string { return append(append([]string(nil), p...), kv...) }

	audit := &sdk.Record{Topic: "audit-eu", Value: "v"}
	orders := &sdk.Record{Topic: "orders", Value: "v"}
	auditPrefix := &sdk.Record{Topic: "xaudit-eu", Value: "v"}
	traced := &sdk.Record{Topic: "orders", Value: "v", Headers: []sdk.Header{{Key: "trace", Value: nil}}}
	tombstone := &sdk.Record{Topic: "orders"}

	for _, tc := range []struct {
		name string
		cfg  map[string]string
		rec  *sdk.Record
		keep bool
	}{
		{"no predicate drops everything", base(), orders, false},
		{"topic matches: dropped", base(with(topic, "transforms.drop.predicate", "isAudit")...), audit, false},
		{"topic does not match: kept", base(with(topic, "transforms.drop.predicate", "isAudit")...), orders, true},
		{"pattern must match the whole topic", base(with(topic, "transforms.drop.predicate", "isAudit")...), auditPrefix, true},
		{"negate: matching topic kept", base(with(topic, "transforms.drop.predicate", "isAudit", "transforms.drop.negate", "true")...), audit, true},
		{"negate: other topic dropped", base(with(topic, "transforms.drop.predicate", "isAudit", "transforms.drop.negate", "true")...), orders, false},
		{"negate=false is the default", base(with(topic, "transforms.drop.predicate", "isAudit", "transforms.drop.negate", "false")...), orders, true},
		{"header present: dropped", base(with(header, "transforms.drop.predicate", "hasTrace")...), traced, false},
		{"header absent: kept", base(with(header, "transforms.drop.predicate", "hasTrace")...), orders, true},
		{"tombstone dropped", base(with(tomb, "transforms.drop.predicate", "tomb")...), tombstone, false},
		{"non-tombstone kept", base(with(tomb, "transforms.drop.predicate", "tomb")...), orders, true},
		{"negated tombstone: tombstone kept", base(with(tomb, "transforms.drop.predicate", "tomb", "transforms.drop.negate", "TRUE")...), tombstone, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustChain(t, tc.cfg)
			r := *tc.rec
			keep, err := c.Apply(&r)
			if err != nil || keep != tc.keep {
				t.Errorf("Apply = %v, %v; want keep=%v", keep, err, tc.keep)
			}
		})
	}
}

func TestChainRunsInOrderAndStopsAtFilter(t *testing.T) {
	c := mustChain(t, map[string]string{
		"transforms":                      "route, addTopic ,drop,never",
		"transforms.route.type":           "RegexRouter",
		"transforms.route.regex":          "raw-(.*)",
		"transforms.route.replacement":    "clean-$1",
		"transforms.addTopic.type":        "InsertField$Value",
		"transforms.addTopic.topic.field": "src",
		"transforms.drop.type":            "Filter",
		"transforms.drop.predicate":       "isDebug",
		"transforms.never.type":           "InsertField$Value",
		"transforms.never.static.field":   "never",
		"transforms.never.static.value":   "x",
		"predicates":                      "isDebug",
		"predicates.isDebug.type":         "TopicNameMatches",
		"predicates.isDebug.pattern":      "clean-debug",
	})
	if c.Len() != 4 {
		t.Fatalf("Len = %d, want 4", c.Len())
	}

	r := sinkRecord(nil, map[string]any{})
	r.Topic = "raw-orders"
	if keep, err := c.Apply(r); !keep || err != nil {
		t.Fatalf("Apply = %v, %v", keep, err)
	}
	equal(t, "topic", r.Topic, "clean-orders")
	equal(t, "value", r.Value, map[string]any{"src": "clean-orders", "never": "x"})

	r = sinkRecord(nil, map[string]any{})
	r.Topic = "raw-debug"
	if keep, err := c.Apply(r); keep || err != nil {
		t.Fatalf("Apply = %v, %v; want dropped", keep, err)
	}
	equal(t, "value of dropped record", r.Value, map[string]any{"src": "clean-debug"})
}

func TestChainEmpty(t *testing.T) {
	for _, m := range []map[string]string{nil, {"transforms": ""}, {"transforms": " , "}} {
		c := mustChain(t, m)
		if c.Len() != 0 {
			t.Errorf("%v: Len = %d", m, c.Len())
		}
		r := sinkRecord(nil, "v")
		if keep, err := c.Apply(r); !keep || err != nil {
			t.Errorf("Apply = %v, %v", keep, err)
		}
	}
	var nilChain *transform.Chain
	if keep, err := nilChain.Apply(sinkRecord(nil, "v")); !keep || err != nil || nilChain.Len() != 0 {
		t.Errorf("nil chain: Apply = %v, %v", keep, err)
	}
}

func TestNewChainReportsEveryProblem(t *testing.T) {
	_, err := transform.NewChain(map[string]string{
		"transforms":               "a,b,c,d,e,f,g,h,a,i",
		"transforms.b.type":        "NoSuchTransform",
		"transforms.c.type":        "org.apache.kafka.connect.transforms.InsertField",
		"transforms.d.type":        "RegexRouter",
		"transforms.d.regex":       "(unclosed",
		"transforms.e.type":        "Filter",
		"transforms.e.negate":      "true",
		"transforms.f.type":        "Filter",
		"transforms.f.predicate":   "undeclared",
		"transforms.g.type":        "Filter",
		"transforms.g.predicate":   "p",
		"transforms.g.negate":      "yes",
		"transforms.h.type":        "TopicNameMatches",
		"transforms.i.type":        "ValueToKey",
		"predicates":               "p,q",
		"predicates.p.type":        "TopicNameMatches",
		"predicates.q.type":        "RegexRouter",
		"transforms.unlisted.type": "Nope",
		"predicates.unlisted.type": "Nope",
	})
	if err == nil {
		t.Fatal("NewChain succeeded")
	}
	want := []string{
		"predicates.p.pattern",     // required key missing
		"predicates.q.type",        // a transformation used as a predicate
		"transforms",               // duplicate alias a
		"transforms.a.type",        // missing
		"transforms.b.type",        // unknown class
		"transforms.c.type",        // abstract: $Key or $Value?
		"transforms.d.regex",       // bad regex
		"transforms.d.replacement", // missing
		"transforms.e.negate",      // negate without predicate
		"transforms.f.predicate",   // predicate not declared
		"transforms.g.negate",      // not a boolean
		"transforms.h.type",        // a predicate used as a transformation
		"transforms.i.fields",      // missing
	}
	equal(t, "keys", configKeys(t, err), want)

	msg := err.Error()
	for _, hint := range []string{
		"Did you mean org.apache.kafka.connect.transforms.InsertField$Key, org.apache.kafka.connect.transforms.InsertField$Value?",
		"Duplicate alias \"a\"",
		"Add it to predicates and set predicates.undeclared.type",
		"Set transforms.e.predicate or remove transforms.e.negate",
		"Class NoSuchTransform could not be found. Use one of",
		"Missing required configuration \"transforms.a.type\"",
	} {
		if !strings.Contains(msg, hint) {
			t.Errorf("error does not say %q:\n%s", hint, msg)
		}
	}
}

func TestClassNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		kv    []string
	}{
		{[]string{"org.apache.kafka.connect.transforms.InsertField$Value", "InsertField$Value"}, []string{"topic.field", "t"}},
		{[]string{"org.apache.kafka.connect.transforms.InsertField$Key", "InsertField$Key"}, []string{"topic.field", "t"}},
		{[]string{"org.apache.kafka.connect.transforms.ReplaceField$Value", "ReplaceField$Value"}, nil},
		{[]string{"org.apache.kafka.connect.transforms.ReplaceField$Key", "ReplaceField$Key"}, nil},
		{[]string{"org.apache.kafka.connect.transforms.ExtractField$Value", "ExtractField$Value"}, []string{"field", "f"}},
		{[]string{"org.apache.kafka.connect.transforms.ExtractField$Key", "ExtractField$Key"}, []string{"field", "f"}},
		{[]string{"org.apache.kafka.connect.transforms.ValueToKey", "ValueToKey"}, []string{"fields", "f"}},
		{[]string{"org.apache.kafka.connect.transforms.TimestampRouter", "TimestampRouter"}, nil},
		{[]string{"org.apache.kafka.connect.transforms.RegexRouter", "RegexRouter"}, []string{"regex", "a", "replacement", "b"}},
		{[]string{"org.apache.kafka.connect.transforms.Filter", "Filter"}, nil},
	} {
		for _, name := range tc.names {
			t.Run(name, func(t *testing.T) {
				c := mustChain(t, cfg(name, tc.kv...))
				// The error of a failing step names the Java class, whatever name was configured.
				_, err := c.Apply(&sdk.Record{Topic: "x", Value: 3, ValueSchema: sdk.StringSchema, Key: 3, KeySchema: sdk.StringSchema})
				var te *transform.Error
				if errors.As(err, &te) && te.Class != tc.names[0] {
					t.Errorf("class = %q, want %q", te.Class, tc.names[0])
				}
			})
		}
	}
	for _, name := range []string{
		"org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "TopicNameMatches",
		"org.apache.kafka.connect.transforms.predicates.HasHeaderKey", "HasHeaderKey",
		"org.apache.kafka.connect.transforms.predicates.RecordIsTombstone", "RecordIsTombstone",
	} {
		t.Run(name, func(t *testing.T) {
			mustChain(t, map[string]string{
				"transforms": "f", "transforms.f.type": "Filter", "transforms.f.predicate": "p",
				"predicates": "p", "predicates.p.type": name, "predicates.p.pattern": "x", "predicates.p.name": "h",
			})
		})
	}
}

func TestErrorWrapsTheCause(t *testing.T) {
	c := mustChain(t, cfg("InsertField$Value", "topic.field", "t"))
	_, err := c.Apply(sinkRecord(nil, "not a map"))
	var te *transform.Error
	if !errors.As(err, &te) {
		t.Fatalf("err = %v", err)
	}
	want := "transform t (org.apache.kafka.connect.transforms.InsertField$Value): only map objects supported in absence of schema for [field insertion], found: string"
	if err.Error() != want {
		t.Errorf("message = %q\nwant      %q", err.Error(), want)
	}
	var se *sdk.Error
	if !errors.As(err, &se) || se.Class != sdk.ClassRecord {
		t.Errorf("no record-class sdk.Error in the chain: %v", err)
	}
}

func TestChainConcurrentUse(t *testing.T) {
	c := mustChain(t, map[string]string{
		"transforms":                 "ins,rep",
		"transforms.ins.type":        "InsertField$Value",
		"transforms.ins.topic.field": "t",
		"transforms.rep.type":        "ReplaceField$Value",
		"transforms.rep.exclude":     "email",
	})
	schemas := []*sdk.Schema{userSchema(), userSchema(), userSchema()}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				s := schemas[(g+i)%len(schemas)]
				r := sinkRecord(s, userStruct(s))
				if _, err := c.Apply(r); err != nil {
					errs <- err
					return
				}
				if got := fmt.Sprint(fieldNames(r.ValueSchema)); got != "[id name country t]" {
					errs <- fmt.Errorf("fields %s", got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
