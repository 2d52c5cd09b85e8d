package config

import "strconv"

// SyntaxError reports a malformed line in a .properties or JSON file. It
// carries the position only, never the line's text, because config files
// hold secrets.
type SyntaxError struct {
	File string // empty when the input was not a named file
	Line int    // 1-based; 0 when unknown
	Msg  string
}

func (e *SyntaxError) Error() string {
	s := e.File
	if e.Line > 0 {
		if s != "" {
			s += ":"
		}
		s += "line " + strconv.Itoa(e.Line)
	}
	if s == "" {
		return e.Msg
	}
	return s + ": " + e.Msg
}
