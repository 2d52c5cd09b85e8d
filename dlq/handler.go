package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// ReplayRequest is the body of POST /connectors/{name}/dlq/replay.
type ReplayRequest struct {
	To     Destination `json:"to"`              // source or sink
	Topic  string      `json:"topic,omitempty"` // source topic override
	Filter FilterSpec  `json:"filter"`
	Rate   float64     `json:"rate,omitempty"` // records per second; 0: no limit
	DryRun bool        `json:"dry_run,omitempty"`
	Who    string      `json:"who,omitempty"` // for the audit trail
}

// SkipRequest is the body of POST /connectors/{name}/dlq/skip.
type SkipRequest struct {
	Filter FilterSpec `json:"filter"`
	Reason string     `json:"reason"`
	Who    string     `json:"who,omitempty"`
	DryRun bool       `json:"dry_run,omitempty"`
}

// InspectResponse is the body of GET /connectors/{name}/dlq/records.
type InspectResponse struct {
	InspectResult
	Records []Record `json:"records"`
}

// StreamLine is one line of a streamed replay response
// (Accept: application/x-ndjson): progress lines, then one line with the
// result and, if the replay failed, the error.
type StreamLine struct {
	Progress *Progress     `json:"progress,omitempty"`
	Result   *ReplayResult `json:"result,omitempty"`
	Error    *ErrorBody    `json:"error,omitempty"`
}

// ErrorBody is Kafka Connect's REST error body.
type ErrorBody struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

// NDJSON is the media type of a streamed replay.
const NDJSON = "application/x-ndjson"

// defaultInspectLimit bounds GET …/dlq/records when no limit is given.
const defaultInspectLimit = 100

// Handler serves the dead-letter REST API:
//
//	GET  /dlq[?scan=true]                   every dead-letter queue, summarized
//	GET  /connectors/{name}/dlq             a connector's queue, summarized
//	GET  /connectors/{name}/dlq/records     inspect: ?error_class ?match ?since ?until
//	                                        ?from_offset ?limit (default 100, 0: all) ?all
//	POST /connectors/{name}/dlq/replay      ReplayRequest → ReplayResult, or with
//	                                        Accept: application/x-ndjson, StreamLines
//	POST /connectors/{name}/dlq/skip        SkipRequest → SkipResult
//
// Errors use Kafka Connect's body, {"error_code": N, "message": "…"}: 404
// for an unknown connector or one without a dead-letter queue, 400 for a
// bad filter or request, 409 when the connector is not running (replay
// into the sink) or another drain of the queue fenced this one.
type Handler struct {
	d   *Drainer
	mux *http.ServeMux
}

// NewHandler returns the handler. Mount it on each of Patterns().
func NewHandler(d *Drainer) *Handler {
	h := &Handler{d: d, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /dlq", h.list)
	h.mux.HandleFunc("GET /connectors/{name}/dlq", h.summary)
	h.mux.HandleFunc("GET /connectors/{name}/dlq/records", h.records)
	h.mux.HandleFunc("POST /connectors/{name}/dlq/replay", h.replay)
	h.mux.HandleFunc("POST /connectors/{name}/dlq/skip", h.skip)
	return h
}

// Patterns returns the http.ServeMux patterns the handler serves.
func Patterns() []string {
	return []string{
		"GET /dlq",
		"GET /connectors/{name}/dlq",
		"GET /connectors/{name}/dlq/records",
		"POST /connectors/{name}/dlq/replay",
		"POST /connectors/{name}/dlq/skip",
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	scan, _ := strconv.ParseBool(r.URL.Query().Get("scan"))
	sums, err := h.d.List(r.Context(), scan)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sums)
}

// queue resolves {name}, which must be a connector.
func (h *Handler) queue(ctx context.Context, name string) (Queue, error) {
	if h.d.o.conns == nil {
		return Queue{}, errors.New("no connector configs: the handler needs WithConnectors")
	}
	cfgs, err := h.d.o.conns.ConnectorConfigs(ctx)
	if err != nil {
		return Queue{}, err
	}
	if _, ok := cfgs[name]; !ok {
		return Queue{}, &httpError{http.StatusNotFound, fmt.Sprintf("Connector %s not found", name)}
	}
	return h.d.Resolve(ctx, name)
}

func (h *Handler) summary(w http.ResponseWriter, r *http.Request) {
	q, err := h.queue(r.Context(), r.PathValue("name"))
	if err != nil {
		writeError(w, err)
		return
	}
	s, err := h.d.Summarize(r.Context(), q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func (h *Handler) records(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	all, _ := strconv.ParseBool(qv.Get("all"))
	spec := FilterSpec{
		ErrorClass: qv.Get("error_class"), Match: qv.Get("match"), Since: qv.Get("since"), Until: qv.Get("until"),
		FromOffset: qv.Get("from_offset"), Limit: qv.Get("limit"), All: all,
	}
	if spec.Limit == "" {
		spec.Limit = strconv.Itoa(defaultInspectLimit)
	}
	f, err := ParseFilter(spec, h.d.o.now())
	if err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("name")
	if _, err := h.queue(r.Context(), name); err != nil {
		writeError(w, err)
		return
	}
	resp := InspectResponse{Records: []Record{}}
	resp.InspectResult, err = h.d.Inspect(r.Context(), name, f, func(rec Record) error {
		resp.Records = append(resp.Records, rec)
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) replay(w http.ResponseWriter, r *http.Request) {
	var req ReplayRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	f, err := ParseFilter(req.Filter, h.d.o.now())
	if err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("name")
	if _, err := h.queue(r.Context(), name); err != nil {
		writeError(w, err)
		return
	}
	o := ReplayOptions{To: req.To, Topic: req.Topic, Filter: f, Rate: req.Rate, DryRun: req.DryRun, Who: who(r, req.Who)}
	if req.To == ToSink {
		o.Connector = name
	}
	stream := strings.Contains(r.Header.Get("Accept"), NDJSON)
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	started := false
	start := func() {
		if !started {
			started = true
			w.Header().Set("Content-Type", NDJSON)
			w.WriteHeader(http.StatusOK)
		}
	}
	if stream {
		// Headers go out with the first progress line: errors found before
		// the replay starts still get their status code.
		o.Progress = func(p Progress) {
			start()
			_ = enc.Encode(StreamLine{Progress: &p})
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
	res, err := h.d.Replay(r.Context(), name, o)
	switch {
	case !stream && err != nil, stream && !started && err != nil:
		writeError(w, err)
	case !stream:
		writeJSON(w, http.StatusOK, res)
	default:
		start()
		line := StreamLine{Result: &res}
		if err != nil {
			code, msg := status(err)
			line.Error = &ErrorBody{Code: code, Message: msg}
		}
		_ = enc.Encode(line)
	}
}

func (h *Handler) skip(w http.ResponseWriter, r *http.Request) {
	var req SkipRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	f, err := ParseFilter(req.Filter, h.d.o.now())
	if err != nil {
		writeError(w, err)
		return
	}
	name := r.PathValue("name")
	if _, err := h.queue(r.Context(), name); err != nil {
		writeError(w, err)
		return
	}
	res, err := h.d.Skip(r.Context(), name, SkipOptions{Filter: f, Reason: req.Reason, Who: who(r, req.Who), DryRun: req.DryRun})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// who names the caller for the audit trail: what the body says, else the
// X-Freshet-User header, else the remote address.
func who(r *http.Request, body string) string {
	if body != "" {
		return body
	}
	if u := r.Header.Get("X-Freshet-User"); u != "" {
		return u
	}
	return "rest " + r.RemoteAddr
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &httpError{http.StatusBadRequest, "invalid request body: " + err.Error()}
	}
	return nil
}

// httpError is an error with its own status code.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

// status maps an error to a status code and message.
func status(err error) (int, string) {
	var he *httpError
	var fe *FilterError
	switch {
	case errors.As(err, &he):
		return he.code, he.msg
	case errors.Is(err, ErrUnknownQueue), errors.Is(err, ErrNoQueue):
		return http.StatusNotFound, err.Error()
	case errors.As(err, &fe), errors.Is(err, ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, ErrNotRunning), errors.Is(err, ErrFenced):
		return http.StatusConflict, err.Error()
	case errors.Is(err, context.Canceled):
		return 499, err.Error()
	default:
		return http.StatusInternalServerError, err.Error()
	}
}

func writeError(w http.ResponseWriter, err error) {
	code, msg := status(err)
	writeJSON(w, code, ErrorBody{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
