package resttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Compare checks got (Freshet's response) against want (Kafka Connect's)
// for one step and returns every difference: status (or the step's
// override), Content-Type, Location path, and the body's shape.
//
// Shape means: the same JSON types (null matches anything, as a field that
// is null on one side may be set on the other), every field Kafka Connect
// sends present, in Kafka Connect's order, with no others except those in
// extra; arrays empty on both sides or neither, each element shaped like
// Kafka Connect's first; objects listed in the step's Maps compared by
// value type only, since their keys are data.
func Compare(st Step, want, got Response, extra map[string]bool) []string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	wantStatus := want.Status
	if st.Freshet != nil {
		wantStatus = st.Freshet.Status
	}
	if got.Status != wantStatus {
		add("status %d, want %d", got.Status, wantStatus)
	}
	if want.ContentType != "" && mediaType(got.ContentType) != mediaType(want.ContentType) {
		add("Content-Type %q, want %q", got.ContentType, want.ContentType)
	}
	if (want.Location == "") != (got.Location == "") || got.Location != want.Location {
		add("Location %q, want %q", got.Location, want.Location)
	}
	if (len(want.Body) == 0) != (len(got.Body) == 0) {
		add("body %q, want %q", got.Body, want.Body)
		return diffs
	}
	if len(want.Body) == 0 {
		return diffs
	}
	if st.Freshet != nil && wantStatus >= 400 {
		// Kafka Connect's body is a 5xx error; ours must still be an error body.
		want.Body = json.RawMessage(fmt.Sprintf(`{"error_code":%d,"message":"m"}`, wantStatus))
	}
	w, err := parse(want.Body)
	if err != nil {
		add("recorded body does not parse: %v", err)
		return diffs
	}
	g, err := parse(got.Body)
	if err != nil {
		add("body is not JSON: %v (%s)", err, got.Body)
		return diffs
	}
	maps := map[string]bool{}
	for _, m := range st.Maps {
		maps[normPath(m)] = true
	}
	c := comparer{maps: maps, extra: extra}
	c.shape("$", w, g, false)
	diffs = append(diffs, c.diffs...)
	if wantStatus >= 400 {
		var e struct {
			Code int `json:"error_code"`
		}
		if json.Unmarshal(got.Body, &e) != nil || e.Code != got.Status {
			add("error_code %d does not match status %d", e.Code, got.Status)
		}
	}
	return diffs
}

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// normPath turns a script path ("config", "[].config", "$") into the form
// comparer builds ("$.config", "$[].config", "$").
func normPath(p string) string {
	switch {
	case p == "$":
		return p
	case strings.HasPrefix(p, "["):
		return "$" + p
	}
	return "$." + p
}

// node is a JSON value that remembers object key order.
type node struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys  []string
	vals  map[string]*node
	elems []*node
}

func parse(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (*node, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := t.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &node{kind: 'o', vals: map[string]*node{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				child, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k)
				n.vals[k] = child
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				child, err := parseNode(dec)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, child)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		return &node{kind: 's'}, nil
	case json.Number:
		return &node{kind: 'n'}, nil
	case bool:
		return &node{kind: 'b'}, nil
	case nil:
		return &node{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", t)
}

var kindNames = map[byte]string{'o': "object", 'a': "array", 's': "string", 'n': "number", 'b': "boolean", 'z': "null"}

type comparer struct {
	maps  map[string]bool
	extra map[string]bool
	diffs []string
}

func (c *comparer) add(format string, args ...any) {
	c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
}

func (c *comparer) isMap(path string) bool {
	if c.maps[path] {
		return true
	}
	// "*.info.config" matches "$.<any key>.info.config".
	for m := range c.maps {
		if strings.Contains(m, "*") {
			parts := strings.Split(strings.TrimPrefix(m, "$."), ".")
			got := strings.Split(strings.TrimPrefix(path, "$."), ".")
			if len(parts) != len(got) {
				continue
			}
			ok := true
			for i := range parts {
				if parts[i] != "*" && parts[i] != got[i] {
					ok = false
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// shape compares g with w at path. Inside array elements (elem) an empty
// array matches a non-empty one: which elements have data is data.
func (c *comparer) shape(path string, w, g *node, elem bool) {
	if w.kind == 'z' || g.kind == 'z' {
		return
	}
	if w.kind != g.kind {
		c.add("%s: %s, want %s", path, kindNames[g.kind], kindNames[w.kind])
		return
	}
	switch w.kind {
	case 'a':
		if !elem && (len(w.elems) == 0) != (len(g.elems) == 0) {
			c.add("%s: %d elements, want %d", path, len(g.elems), len(w.elems))
			return
		}
		if len(w.elems) == 0 {
			return
		}
		tmpl := merge(w.elems)
		for _, ge := range g.elems {
			c.shape(path+"[]", tmpl, ge, true)
		}
	case 'o':
		if c.isMap(path) {
			// Keys are data: every value must be shaped like Kafka Connect's first.
			if len(w.keys) == 0 || len(g.keys) == 0 {
				return
			}
			var vals []*node
			for _, k := range w.keys {
				vals = append(vals, w.vals[k])
			}
			tmpl := merge(vals)
			for _, k := range g.keys {
				c.shape(path+".*", tmpl, g.vals[k], elem)
			}
			return
		}
		last := -1
		for _, k := range w.keys {
			gv, ok := g.vals[k]
			if !ok {
				c.add("%s: field %q missing", path, k)
				continue
			}
			i := indexOf(g.keys, k)
			if i < last {
				c.add("%s: field %q out of Kafka Connect's order %v (got %v)", path, k, w.keys, g.keys)
			}
			last = max(last, i)
			c.shape(path+"."+k, w.vals[k], gv, elem)
		}
		for _, k := range g.keys {
			if _, ok := w.vals[k]; !ok && !c.extra[k] {
				c.add("%s: extra field %q", path, k)
			}
		}
	}
}

// merge builds one template from several values of one array or map: for
// objects, the fields of all of them (first seen order) with merged values;
// for arrays, all their elements; otherwise the first non-null value.
func merge(ns []*node) *node {
	var first *node
	for _, n := range ns {
		if n.kind != 'z' {
			first = n
			break
		}
	}
	if first == nil {
		return ns[0]
	}
	switch first.kind {
	case 'o':
		out := &node{kind: 'o', vals: map[string]*node{}}
		byKey := map[string][]*node{}
		for _, n := range ns {
			if n.kind != 'o' {
				continue
			}
			for _, k := range n.keys {
				if _, seen := byKey[k]; !seen {
					out.keys = append(out.keys, k)
				}
				byKey[k] = append(byKey[k], n.vals[k])
			}
		}
		for k, vs := range byKey {
			out.vals[k] = merge(vs)
		}
		return out
	case 'a':
		out := &node{kind: 'a'}
		for _, n := range ns {
			if n.kind == 'a' {
				out.elems = append(out.elems, n.elems...)
			}
		}
		return out
	}
	return first
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
