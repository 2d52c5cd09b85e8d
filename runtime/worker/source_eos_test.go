package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// txStore is a TxOffsetStore that holds nothing.
type txStore struct{}

func (txStore) Get(context.Context, string, map[string]any) (map[string]any, error) { return nil, nil }
func (txStore) Put(context.Context, string, []sdk.Position) error                   { return nil }
func (txStore) Records(string, []sdk.Position) ([]*kgo.Record, error)               { return nil, nil }
func (txStore) Sync(context.Context) error                                          { return nil }

// plainStore is an OffsetStore without a transactional path (standalone).
type plainStore struct{}

func (plainStore) Get(context.Context, string, map[string]any) (map[string]any, error) {
	return nil, nil
}
func (plainStore) Put(context.Context, string, []sdk.Position) error { return nil }

func TestEOSSettings(t *testing.T) {
	enabled := map[string]string{KeyExactlyOnceSourceSupport: "enabled", "group.id": "g"}
	for _, tc := range []struct {
		name     string
		props    map[string]string
		offsets  OffsetStore
		conn     map[string]string
		wantOff  bool
		wantErr  string // config key of the error, or "any"
		interval time.Duration
	}{
		{name: "disabled", props: map[string]string{"group.id": "g"}, offsets: txStore{}, wantOff: true},
		{name: "preparing is not enabled", props: map[string]string{KeyExactlyOnceSourceSupport: "preparing", "group.id": "g"}, offsets: txStore{}, wantOff: true},
		{name: "poll by default", props: enabled, offsets: txStore{}},
		{name: "interval defaults to the flush interval", props: enabled, offsets: txStore{}, conn: map[string]string{KeyTransactionBoundary: "interval"}, interval: time.Minute},
		{name: "interval", props: enabled, offsets: txStore{}, conn: map[string]string{KeyTransactionBoundary: "INTERVAL", KeyTransactionBoundaryInterval: "1500"}, interval: 1500 * time.Millisecond},
		{name: "bad interval", props: enabled, offsets: txStore{}, conn: map[string]string{KeyTransactionBoundary: "interval", KeyTransactionBoundaryInterval: "0"}, wantErr: KeyTransactionBoundaryInterval},
		{name: "connector boundary unsupported", props: enabled, offsets: txStore{}, conn: map[string]string{KeyTransactionBoundary: "connector"}, wantErr: KeyTransactionBoundary},
		{name: "unknown boundary", props: enabled, offsets: txStore{}, conn: map[string]string{KeyTransactionBoundary: "batch"}, wantErr: KeyTransactionBoundary},
		{name: "standalone offsets", props: enabled, offsets: plainStore{}, wantErr: "any"},
		{name: "no group", props: map[string]string{KeyExactlyOnceSourceSupport: "enabled"}, offsets: txStore{}, wantErr: "any"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New("w", tc.props, tc.offsets, zap.NewNop(), WithFlushInterval(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			e, err := w.eosSettings(TaskID{"c", 2}, tc.conn)
			if tc.wantErr != "" {
				var ce *sdk.ConfigError
				if err == nil || tc.wantErr != "any" && (!errors.As(err, &ce) || ce.Key != tc.wantErr) {
					t.Fatalf("err = %v, want an error about %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantOff {
				if e != nil {
					t.Fatalf("exactly-once on: %+v", e)
				}
				return
			}
			if e == nil || e.txID != "g-c-2" || e.interval != tc.interval {
				t.Fatalf("got %+v, want transactional.id g-c-2 and interval %v", e, tc.interval)
			}
		})
	}
}
