package rest

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"
)

// Levels holds log levels by logger name and changes them at run time, for
// /admin/loggers. Logger names are zap's (Named joins them with "."); a
// level set on "herder" applies to "herder" and "herder.x", and "root"
// applies to every logger without a more specific level. Levels are named as
// log4j names them (DEBUG, INFO, WARN, ERROR, FATAL, OFF; TRACE and ALL mean
// DEBUG), as Kafka Connect's clients send them.
//
// Wrap the logger's core with Core, built with the lowest level you may ever
// want (DebugLevel): the wrapper, not the inner core, decides.
type Levels struct {
	mu    sync.RWMutex
	root  level
	set   map[string]level    // explicitly set, by name
	seen  map[string]struct{} // names that logged, for listing
	floor zapcore.Level       // lowest level in force, for Enabled
	now   func() time.Time
}

type level struct {
	l        zapcore.Level
	modified int64 // epoch ms of the change through the API, 0: never
}

// levelOff disables a logger.
const levelOff = zapcore.FatalLevel + 1

// maxSeen bounds the names remembered for GET /admin/loggers. Names come
// from code, not data, so this is only a guard.
const maxSeen = 1000

// NewLevels returns levels with root at root.
func NewLevels(root zapcore.Level) *Levels {
	return &Levels{root: level{l: root}, set: map[string]level{}, seen: map[string]struct{}{}, floor: root, now: time.Now}
}

// Core wraps c so that entries are written only at or above their logger's
// level in l.
func (l *Levels) Core(c zapcore.Core) zapcore.Core { return &levelCore{Core: c, lv: l} }

// Level is the level in force for a logger name ("" and "root" are root).
func (l *Levels) Level(name string) zapcore.Level {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.effective(name).l
}

// effective is the level of the most specific name set at or above name.
// Called with mu held.
func (l *Levels) effective(name string) level {
	for n := name; n != "" && n != "root"; {
		if lv, ok := l.set[n]; ok {
			return lv
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return l.root
}

// Set sets a logger's level (and so its descendants' without their own) and
// returns the loggers it affected, sorted.
func (l *Levels) Set(name string, lv zapcore.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ms := l.now().UnixMilli()
	var affected []string
	if name == "" || name == "root" {
		l.root = level{lv, ms}
		affected = append(affected, "root")
		for n := range l.seen {
			if _, own := l.set[n]; !own && n != "" {
				affected = append(affected, n)
			}
		}
	} else {
		l.set[name] = level{lv, ms}
		affected = append(affected, name)
		for n := range l.seen {
			if strings.HasPrefix(n, name+".") {
				affected = append(affected, n)
			}
		}
	}
	l.floor = l.root.l
	for _, s := range l.set {
		l.floor = min(l.floor, s.l)
	}
	sort.Strings(affected)
	return affected
}

// all returns every known logger (root, those set, those seen) with its
// level in force.
func (l *Levels) all() map[string]loggerLevel {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := map[string]loggerLevel{"root": l.root.view()}
	for n := range l.seen {
		if n != "" {
			out[n] = l.effective(n).viewInherited(l.set[n])
		}
	}
	for n, lv := range l.set {
		out[n] = lv.view()
	}
	return out
}

// get returns one logger's level, ok=false if the name is unknown.
func (l *Levels) get(name string) (loggerLevel, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if name == "root" {
		return l.root.view(), true
	}
	if lv, ok := l.set[name]; ok {
		return lv.view(), true
	}
	if _, ok := l.seen[name]; ok {
		return l.effective(name).viewInherited(level{}), true
	}
	return loggerLevel{}, false
}

func (l *Levels) note(name string) {
	l.mu.RLock()
	_, ok := l.seen[name]
	l.mu.RUnlock()
	if ok {
		return
	}
	l.mu.Lock()
	if len(l.seen) < maxSeen {
		l.seen[name] = struct{}{}
	}
	l.mu.Unlock()
}

func (lv level) view() loggerLevel {
	out := loggerLevel{Level: levelName(lv.l)}
	if lv.modified != 0 {
		m := lv.modified
		out.LastModified = &m
	}
	return out
}

// viewInherited shows an inherited level, with the logger's own change time
// only if it was set itself.
func (lv level) viewInherited(own level) loggerLevel {
	out := loggerLevel{Level: levelName(lv.l)}
	if own.modified != 0 {
		m := own.modified
		out.LastModified = &m
	}
	return out
}

func levelName(l zapcore.Level) string {
	switch {
	case l >= levelOff:
		return "OFF"
	case l >= zapcore.DPanicLevel:
		return "FATAL"
	}
	return l.CapitalString()
}

// parseLevel reads a log4j (or zap) level name.
func parseLevel(s string) (zapcore.Level, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "ALL", "DEBUG":
		return zapcore.DebugLevel, true
	case "INFO":
		return zapcore.InfoLevel, true
	case "WARN", "WARNING":
		return zapcore.WarnLevel, true
	case "ERROR":
		return zapcore.ErrorLevel, true
	case "FATAL":
		return zapcore.DPanicLevel, true
	case "OFF":
		return levelOff, true
	}
	return 0, false
}

type levelCore struct {
	zapcore.Core
	lv *Levels
}

func (c *levelCore) Enabled(l zapcore.Level) bool {
	c.lv.mu.RLock()
	defer c.lv.mu.RUnlock()
	return l >= c.lv.floor
}

func (c *levelCore) With(f []zapcore.Field) zapcore.Core {
	return &levelCore{Core: c.Core.With(f), lv: c.lv}
}

func (c *levelCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	c.lv.note(e.LoggerName)
	if e.Level < c.lv.Level(e.LoggerName) {
		return ce
	}
	return c.Core.Check(e, ce)
}

// GET /admin/loggers
func (s *Server) listLoggers(w http.ResponseWriter, _ *http.Request, _ params) error {
	if s.opts.levels == nil {
		writeJSON(w, http.StatusOK, map[string]loggerLevel{"root": {Level: "INFO"}})
		return nil
	}
	writeJSON(w, http.StatusOK, s.opts.levels.all())
	return nil
}

// GET /admin/loggers/{logger}
func (s *Server) getLogger(w http.ResponseWriter, _ *http.Request, p params) error {
	name := p.get("logger")
	if s.opts.levels == nil {
		if name == "root" {
			writeJSON(w, http.StatusOK, loggerLevel{Level: "INFO"})
			return nil
		}
		return errorf(http.StatusNotFound, "Logger %s not found.", name)
	}
	lv, ok := s.opts.levels.get(name)
	if !ok {
		return errorf(http.StatusNotFound, "Logger %s not found.", name)
	}
	writeJSON(w, http.StatusOK, lv)
	return nil
}

// PUT /admin/loggers/{logger}[?scope=worker|cluster]
func (s *Server) setLogger(w http.ResponseWriter, r *http.Request, p params) error {
	var req loggerRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	if req.Level == nil {
		return errorf(http.StatusBadRequest, "Desired 'level' parameter was not specified in request.")
	}
	lv, ok := parseLevel(*req.Level)
	if !ok {
		// Kafka Connect answers an unknown level with 404; so do we.
		return errorf(http.StatusNotFound, "invalid log level '%s'.", *req.Level)
	}
	if s.opts.levels == nil {
		return errorf(http.StatusConflict, "Log levels cannot be changed: this worker runs without a level registry")
	}
	affected := s.opts.levels.Set(p.get("logger"), lv)
	if strings.EqualFold(r.URL.Query().Get("scope"), "cluster") {
		// One worker is the whole cluster in standalone mode.
		noContent(w, http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, affected)
	return nil
}
