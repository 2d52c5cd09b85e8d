package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// sinkTask writes records to Redis, each chunk of batch.size records in one
// MULTI/EXEC together with the partitions' offsets.
type sinkTask struct {
	cfg    *config
	client *goredis.Client
	parts  map[sdk.TopicPartition]*sdk.SinkPosition
	// stale is set when Redis may hold newer offsets than parts (an EXEC
	// whose answer was lost): reload before writing.
	stale bool
	key   []byte // scratch for key rendering
}

func newSinkTask() *sinkTask {
	return &sinkTask{parts: map[sdk.TopicPartition]*sdk.SinkPosition{}}
}

// Start parses the config, connects and pings, so that bad credentials fail
// the task at once.
func (t *sinkTask) Start(ctx context.Context, cfg map[string]string) error {
	c, err := parseConfig(cfg)
	if err != nil {
		return sdk.Fatal(err)
	}
	if c.connector == "" {
		return sdk.Fatal(errors.New("the task config has no connector name (key \"name\"); " +
			"the sink keys its stored offsets by it"))
	}
	t.cfg = c
	opts := *c.opts
	opts.MaxRetries = -1 // never resend a MULTI/EXEC whose fate is unknown: Put decides
	opts.DisableIdentity = true
	opts.ContextTimeoutEnabled = true
	opts.PoolSize = 2
	t.client = goredis.NewClient(&opts)
	if err := t.client.Ping(ctx).Err(); err != nil {
		return classify(fmt.Errorf("connect to Redis at %s: %w", opts.Addr, err))
	}
	return nil
}

// offsetsKey is the hash that holds a partition's offsets: fields next
// (the next offset to write) and retry (failed offsets below it whose dead
// letters Flush has not confirmed, comma separated). One hash per partition,
// so that tasks of one connector do not disturb each other's WATCH.
func (t *sinkTask) offsetsKey(tp sdk.TopicPartition) string {
	return t.cfg.offsetsKey + ":" + tp.Topic + "/" + strconv.Itoa(int(tp.Partition))
}

// parseState parses HMGET next retry.
func parseState(key string, vals []any) (*sdk.SinkPosition, error) {
	st := &sdk.SinkPosition{Next: -1}
	if s, ok := vals[0].(string); ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("offsets hash %s: next %q is not an offset", key, s)
		}
		st.Next = n
	}
	if s, ok := vals[1].(string); ok && s != "" {
		for _, p := range strings.Split(s, ",") {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("offsets hash %s: retry %q is not a list of offsets", key, s)
			}
			st.Retry = append(st.Retry, n)
		}
		slices.Sort(st.Retry)
	}
	return st, nil
}

// Open returns the stored offsets of the partitions that have them.
func (t *sinkTask) Open(ctx context.Context, partitions []sdk.TopicPartition) (sdk.Offsets, error) {
	if err := t.loadParts(ctx, partitions); err != nil {
		return nil, err
	}
	out := sdk.Offsets{}
	for _, tp := range partitions {
		if st := t.parts[tp]; st.Next >= 0 {
			out[tp] = st.Resume()
		}
	}
	return out, nil
}

func (t *sinkTask) loadParts(ctx context.Context, tps []sdk.TopicPartition) error {
	if len(tps) == 0 {
		return nil
	}
	pipe := t.client.Pipeline()
	cmds := make([]*goredis.SliceCmd, len(tps))
	for i, tp := range tps {
		cmds[i] = pipe.HMGet(ctx, t.offsetsKey(tp), "next", "retry")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return classify(fmt.Errorf("read offsets: %w", err))
	}
	for i, tp := range tps {
		st, err := parseState(t.offsetsKey(tp), cmds[i].Val())
		if err != nil {
			return sdk.Fatal(err)
		}
		t.parts[tp] = st
	}
	return nil
}

func (t *sinkTask) syncParts(ctx context.Context, batch []sdk.Record) error {
	var need []sdk.TopicPartition
	seen := map[sdk.TopicPartition]bool{}
	if t.stale {
		for tp := range t.parts {
			need = append(need, tp)
			seen[tp] = true
		}
	}
	for i := range batch {
		tp := batch[i].TopicPartition()
		if !seen[tp] {
			seen[tp] = true
			if t.parts[tp] == nil {
				need = append(need, tp)
			}
		}
	}
	if err := t.loadParts(ctx, need); err != nil {
		return err
	}
	t.stale = false
	return nil
}

// Put writes the batch, retrying retriable failures up to max.retries times,
// retry.backoff.ms apart. Records already in Redis are skipped.
func (t *sinkTask) Put(ctx context.Context, batch []sdk.Record) error {
	if len(batch) == 0 {
		return nil
	}
	be := sdk.NewBatchError()
	for attempt := 0; ; attempt++ {
		err := t.put(ctx, batch, be)
		if err == nil {
			return be.Err()
		}
		t.stale = true
		if classOf(err) != sdk.ClassRetriable || attempt >= t.cfg.maxRetries || ctx.Err() != nil {
			return classify(err)
		}
		select {
		case <-ctx.Done():
			return sdk.Retriable(fmt.Errorf("%w (while retrying: %w)", ctx.Err(), err))
		case <-time.After(t.cfg.retryBackoff):
		}
	}
}

// put is one attempt: the records not yet applied, in chunks.
func (t *sinkTask) put(ctx context.Context, batch []sdk.Record, be *sdk.BatchError) error {
	if err := t.syncParts(ctx, batch); err != nil {
		return err
	}
	chunk := make([]int, 0, min(len(batch), t.cfg.batchSize))
	for i := range batch {
		r := &batch[i]
		if t.parts[r.TopicPartition()].Applied(r.Offset) && !r.IsReplay() {
			continue
		}
		delete(be.Failed, i) // failed in an earlier attempt that did not commit
		chunk = append(chunk, i)
		if len(chunk) == t.cfg.batchSize {
			if err := t.writeChunk(ctx, batch, chunk, be); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if len(chunk) > 0 {
		return t.writeChunk(ctx, batch, chunk, be)
	}
	return nil
}

// write is one record's commands.
type write struct {
	idx  int
	key  string
	cmds []goredis.Cmder
}

// writeChunk writes records in one MULTI/EXEC with their offsets. The
// partitions' offset hashes are WATCHed and compared with what this task
// last wrote: if another writer (a task that also owns the partition) got
// there first, nothing is written and the offsets are reloaded.
func (t *sinkTask) writeChunk(ctx context.Context, batch []sdk.Record, idxs []int, be *sdk.BatchError) error {
	writes := make([]write, 0, len(idxs))
	var err error
	for _, i := range idxs {
		r := &batch[i]
		if r.Value == nil && t.cfg.typ == typeStream {
			continue // a stream has nothing to delete: tombstones are skipped
		}
		if t.key, err = t.cfg.key.render(t.key[:0], r); err != nil {
			be.Fail(i, sdk.RecordErr(err))
			continue
		}
		writes = append(writes, write{idx: i, key: string(t.key)})
	}
	tps := partitions(batch, idxs)
	keys := make([]string, len(tps))
	for i, tp := range tps {
		keys[i] = t.offsetsKey(tp)
	}
	var states map[sdk.TopicPartition]*sdk.SinkPosition
	err = t.client.Watch(ctx, func(tx *goredis.Tx) error {
		if err := t.checkParts(ctx, tx, tps, keys); err != nil {
			return err
		}
		if t.cfg.typ == typeStream {
			var err error
			if writes, err = checkStreams(ctx, tx, writes, be); err != nil {
				return err
			}
		}
		var last *goredis.StringCmd
		_, err := tx.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
			kept := writes[:0]
			for _, w := range writes {
				cmds, err := t.queue(ctx, pipe, w.key, &batch[w.idx])
				if err != nil {
					be.Fail(w.idx, sdk.RecordErr(err))
					continue
				}
				w.cmds = cmds
				kept = append(kept, w)
			}
			writes = kept
			states = advance(t.parts, batch, idxs, be)
			t.queueOffsets(ctx, pipe, states)
			// The last command shows whether EXEC ran (a chunk of replayed
			// records has no offsets to set).
			last = pipe.Echo(ctx, "freshet")
			return nil
		})
		if last.Err() != nil {
			// EXEC did not run (a WATCHed key changed), or its answer was lost.
			return classify(fmt.Errorf("write to Redis: %w", errors.Join(err, last.Err())))
		}
		return nil
	}, keys...)
	if err != nil {
		return classify(err)
	}
	// The transaction ran. Commands that failed in it (not expected: keys
	// are deleted before they are written, and stream keys checked) fail
	// their records; keep them for a retry after a restart.
	late := false
	for _, w := range writes {
		for _, c := range w.cmds {
			if c.Err() != nil {
				be.Fail(w.idx, classify(fmt.Errorf("%s %s: %w", c.Name(), w.key, c.Err())))
				late = true
				break
			}
		}
	}
	if late {
		states = advance(t.parts, batch, idxs, be)
		pipe := t.client.TxPipeline()
		t.queueOffsets(ctx, pipe, states)
		if _, err := pipe.Exec(ctx); err != nil {
			return classify(fmt.Errorf("store offsets: %w", err))
		}
	}
	for tp, st := range states {
		t.parts[tp] = st
	}
	return nil
}

// checkParts reads the WATCHed offset hashes and compares them with parts.
func (t *sinkTask) checkParts(ctx context.Context, tx *goredis.Tx, tps []sdk.TopicPartition, keys []string) error {
	cmds := make([]*goredis.SliceCmd, len(tps))
	if _, err := tx.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i := range tps {
			cmds[i] = p.HMGet(ctx, keys[i], "next", "retry")
		}
		return nil
	}); err != nil {
		return classify(fmt.Errorf("read offsets: %w", err))
	}
	for i, tp := range tps {
		got, err := parseState(keys[i], cmds[i].Val())
		if err != nil {
			return sdk.Fatal(err)
		}
		if st := t.parts[tp]; st.Next != got.Next || !slices.Equal(st.Retry, got.Retry) {
			return sdk.Retriable(fmt.Errorf("the stored offsets of %s moved (another task owns the partition): reloading them", tp))
		}
	}
	return nil
}

// queueOffsets adds the HSETs of partitions' states.
func (t *sinkTask) queueOffsets(ctx context.Context, pipe goredis.Pipeliner, states map[sdk.TopicPartition]*sdk.SinkPosition) []*goredis.IntCmd {
	out := make([]*goredis.IntCmd, 0, len(states))
	for tp, st := range states {
		out = append(out, pipe.HSet(ctx, t.offsetsKey(tp), "next", strconv.FormatInt(st.Next, 10), "retry", joinOffsets(st.Retry)))
	}
	return out
}

// queue adds one record's commands to the transaction.
func (t *sinkTask) queue(ctx context.Context, pipe goredis.Pipeliner, key string, r *sdk.Record) ([]goredis.Cmder, error) {
	ttl := t.cfg.ttl
	lin := t.cfg.lineage
	if r.Value == nil {
		if lin && t.cfg.typ == typeString {
			return []goredis.Cmder{pipe.Del(ctx, key, key+lineageSuffix)}, nil
		}
		return []goredis.Cmder{pipe.Del(ctx, key)}, nil
	}
	switch t.cfg.typ {
	case typeString:
		var v []byte
		var err error
		switch r.Value.(type) {
		case *sdk.Struct, map[string]any, map[any]any, []any:
			v, err = sdk.AppendJSON(nil, r.Value)
		default:
			v, err = appendText(nil, r.Value)
		}
		if err != nil {
			return nil, err
		}
		cmds := []goredis.Cmder{pipe.Set(ctx, key, v, ttl)}
		if lin {
			// The companion hash, replaced like a hash value, with the same TTL.
			lkey := key + lineageSuffix
			cmds = append(cmds, pipe.Del(ctx, lkey), pipe.HSet(ctx, lkey, t.lineageFields(nil, r)...))
			if ttl > 0 {
				cmds = append(cmds, pipe.Expire(ctx, lkey, ttl))
			}
		}
		return cmds, nil
	case typeHash:
		fields, err := fieldsOf(r.Value)
		if errors.Is(err, errNotFields) {
			return nil, fmt.Errorf("redis.type=hash needs a struct or map value, got %s", typeName(r.Value))
		}
		if err != nil {
			return nil, err
		}
		if lin {
			fields = t.lineageFields(dropLineageFields(fields), r)
		}
		// Replace the hash: fields missing from this record must not survive
		// from an older one.
		cmds := []goredis.Cmder{pipe.Del(ctx, key)}
		if len(fields) > 0 {
			cmds = append(cmds, pipe.HSet(ctx, key, fields...))
			if ttl > 0 {
				cmds = append(cmds, pipe.Expire(ctx, key, ttl))
			}
		}
		return cmds, nil
	default: // stream
		fields, err := fieldsOf(r.Value)
		if errors.Is(err, errNotFields) {
			var v []byte
			if v, err = appendText(nil, r.Value); err != nil {
				return nil, err
			}
			fields = []any{"value", v}
		} else if err != nil {
			return nil, err
		}
		if lin && len(fields) > 0 {
			fields = t.lineageFields(dropLineageFields(fields), r)
		}
		if len(fields) == 0 {
			return nil, errors.New("redis.type=stream: the record value has no non-null fields")
		}
		args := &goredis.XAddArgs{Stream: key, Values: fields}
		if t.cfg.maxLen > 0 {
			args.MaxLen, args.Approx = t.cfg.maxLen, true
		}
		cmds := []goredis.Cmder{pipe.XAdd(ctx, args)}
		if ttl > 0 {
			cmds = append(cmds, pipe.Expire(ctx, key, ttl))
		}
		return cmds, nil
	}
}

// checkStreams fails the records whose key holds something other than a
// stream, which XADD would refuse inside the transaction.
func checkStreams(ctx context.Context, tx *goredis.Tx, writes []write, be *sdk.BatchError) ([]write, error) {
	keys := map[string]*goredis.StatusCmd{}
	pipe := tx.Pipeline()
	for _, w := range writes {
		if keys[w.key] == nil {
			keys[w.key] = pipe.Type(ctx, w.key)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, classify(fmt.Errorf("check stream keys: %w", err))
	}
	kept := writes[:0]
	for _, w := range writes {
		if typ := keys[w.key].Val(); typ != "none" && typ != "stream" {
			be.Fail(w.idx, sdk.RecordErr(fmt.Errorf("key %s holds a %s, not a stream (WRONGTYPE)", w.key, typ)))
			continue
		}
		kept = append(kept, w)
	}
	return kept, nil
}

// partitions returns the partitions of records idxs of the batch (a replayed
// record has none of its own).
func partitions(batch []sdk.Record, idxs []int) []sdk.TopicPartition {
	var tps []sdk.TopicPartition
	for _, i := range idxs {
		if r := &batch[i]; !r.IsReplay() && !slices.Contains(tps, r.TopicPartition()) {
			tps = append(tps, r.TopicPartition())
		}
	}
	return tps
}

// advance computes the partitions' states after records idxs of the batch.
func advance(parts map[sdk.TopicPartition]*sdk.SinkPosition, batch []sdk.Record, idxs []int, be *sdk.BatchError) map[sdk.TopicPartition]*sdk.SinkPosition {
	states := map[sdk.TopicPartition]*sdk.SinkPosition{}
	for _, i := range idxs {
		r := &batch[i]
		if r.IsReplay() {
			continue
		}
		tp := r.TopicPartition()
		st := states[tp]
		if st == nil {
			st = parts[tp].Clone()
			states[tp] = st
		}
		_, failed := be.Failed[i]
		st.Advance(r.Offset, failed)
	}
	return states
}

func joinOffsets(offs []int64) string {
	var b []byte
	for i, o := range offs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, o, 10)
	}
	return string(b)
}

// Flush has nothing to write: each chunk committed with its offsets. It
// forgets the failed records below offsets, whose dead letters the runtime
// now holds. It changes a partition's hash only if it still holds what this
// task last wrote.
func (t *sinkTask) Flush(ctx context.Context, offsets sdk.Offsets) (sdk.Offsets, error) {
	for tp, off := range offsets {
		st := t.parts[tp]
		if st == nil {
			continue
		}
		trimmed := st.Trimmed(off)
		if trimmed == nil {
			continue
		}
		key := t.offsetsKey(tp)
		err := t.client.Watch(ctx, func(tx *goredis.Tx) error {
			if err := t.checkParts(ctx, tx, []sdk.TopicPartition{tp}, []string{key}); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
				t.queueOffsets(ctx, pipe, map[sdk.TopicPartition]*sdk.SinkPosition{tp: trimmed})
				return nil
			})
			return err
		}, key)
		switch {
		case err == nil:
			t.parts[tp] = trimmed
		case errors.Is(err, goredis.TxFailedErr) || classOf(err) == sdk.ClassRetriable:
			// Another writer: leave the list; its records are only delivered again.
			t.stale = true
		default:
			return nil, classify(fmt.Errorf("store offsets: %w", err))
		}
	}
	return offsets, nil
}

// Close forgets the revoked partitions; their offsets stay in Redis.
func (t *sinkTask) Close(_ context.Context, partitions []sdk.TopicPartition) error {
	for _, tp := range partitions {
		delete(t.parts, tp)
	}
	return nil
}

// Stop closes the connections.
func (t *sinkTask) Stop(context.Context) error {
	if t.client == nil {
		return nil
	}
	err := t.client.Close()
	t.client = nil
	return err
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case []byte, sdk.Raw:
		return "bytes"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}
