package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

func TestParseConnURL(t *testing.T) {
	tests := []struct {
		name, url, user, password string
		host                      string
		port                      uint16
		db, wantUser, wantPass    string
		params                    map[string]string // runtime params expected
		tls                       bool
	}{
		{name: "libpq", url: "postgres://u:p@db.example:6543/shop?sslmode=disable",
			host: "db.example", port: 6543, db: "shop", wantUser: "u", wantPass: "p"},
		{name: "jdbc with params", url: "jdbc:postgresql://db:5433/shop?user=u&password=p&currentSchema=inv&ApplicationName=app&reWriteBatchedInserts=true&sslmode=disable",
			host: "db", port: 5433, db: "shop", wantUser: "u", wantPass: "p",
			params: map[string]string{"search_path": "inv", "application_name": "app"}},
		{name: "jdbc user and password keys win", url: "jdbc:postgresql://db/shop?user=u&password=p&sslmode=disable", user: "admin", password: "secret",
			host: "db", port: 5432, db: "shop", wantUser: "admin", wantPass: "secret"},
		{name: "jdbc short form", url: "jdbc:postgresql:shop?sslmode=disable",
			host: "localhost", port: 5432, db: "shop"},
		{name: "jdbc ssl=true means require", url: "jdbc:postgresql://db/shop?ssl=true",
			host: "db", port: 5432, db: "shop", tls: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConnURL(tt.url, tt.user, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if c.Host != tt.host || c.Port != tt.port || c.Database != tt.db {
				t.Errorf("got %s:%d/%s, want %s:%d/%s", c.Host, c.Port, c.Database, tt.host, tt.port, tt.db)
			}
			if tt.wantUser != "" && c.User != tt.wantUser {
				t.Errorf("user = %q, want %q", c.User, tt.wantUser)
			}
			if c.Password != tt.wantPass {
				t.Errorf("password = %q, want %q", c.Password, tt.wantPass)
			}
			for k, v := range tt.params {
				if c.RuntimeParams[k] != v {
					t.Errorf("runtime param %s = %q, want %q", k, c.RuntimeParams[k], v)
				}
			}
			if _, ok := c.RuntimeParams["reWriteBatchedInserts"]; ok {
				t.Error("a JDBC driver knob was passed to the server")
			}
			if (c.TLSConfig != nil) != tt.tls {
				t.Errorf("TLS = %v, want %v", c.TLSConfig != nil, tt.tls)
			}
		})
	}
}

func TestParseConnURLErrorsHidePassword(t *testing.T) {
	for _, u := range []string{
		"mysql://u:hunter2@db/shop",
		"postgres://u:hunter2@db:notaport/shop",
		"jdbc:postgresql://db/shop?password=hunter2&sslmode=bogus",
	} {
		_, err := parseConnURL(u, "", "")
		if err == nil {
			t.Errorf("%s: no error", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error shows the password: %v", u, err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"name": "c", "connection.url": "postgres://localhost/db"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	t.Run("defaults", func(t *testing.T) {
		c, err := parseConfig(base())
		if err != nil {
			t.Fatal(err)
		}
		if c.insertMode != modeInsert || c.pkMode != pkNone || c.batchSize != 3000 || c.maxRetries != 10 ||
			c.retryBackoff.Milliseconds() != 3000 || c.autoCreate || c.autoEvolve || c.deleteEnabled ||
			c.table != (tableFormat{table: "${topic}"}) || c.offsetsTable != (tableID{Name: defaultOffsetsTable}) {
			t.Errorf("defaults: %+v", c)
		}
	})
	t.Run("aliases and multi", func(t *testing.T) {
		c, err := parseConfig(base("insert.mode", "MULTI", "primary.key.mode", "kafka",
			"collection.name.format", "inv.${topic}", "connection.username", "bob"))
		if err != nil {
			t.Fatal(err)
		}
		if c.insertMode != modeInsert || c.pkMode != pkKafka || c.table != (tableFormat{schema: "inv", table: "${topic}"}) || c.conn.User != "bob" {
			t.Errorf("got %+v", c)
		}
		if strings.Join(c.pkFields, ",") != "__connect_topic,__connect_partition,__connect_offset" {
			t.Errorf("kafka pk fields = %v", c.pkFields)
		}
	})
	t.Run("whitelist", func(t *testing.T) {
		c, err := parseConfig(base("fields.whitelist", "a, b"))
		if err != nil {
			t.Fatal(err)
		}
		if !c.whitelist["a"] || !c.whitelist["b"] || len(c.whitelist) != 2 {
			t.Errorf("whitelist = %v", c.whitelist)
		}
	})
	bad := []struct {
		name string
		cfg  map[string]string
		key  string
	}{
		{"upsert needs a key", base("insert.mode", "upsert"), "pk.mode"},
		{"update needs a key", base("insert.mode", "update"), "pk.mode"},
		{"delete needs record_key", base("delete.enabled", "true", "pk.mode", "record_value"), "delete.enabled"},
		{"kafka takes three names", base("pk.mode", "kafka", "pk.fields", "a,b"), "pk.fields"},
		{"pk.fields without pk.mode", base("pk.fields", "id"), "pk.fields"},
		{"unknown mode", base("insert.mode", "merge"), "insert.mode"},
		{"missing url", map[string]string{"name": "c"}, "connection.url"},
		{"bad url", base("connection.url", "mysql://x/y"), "connection.url"},
		{"bad table format", base("table.name.format", "a.b.${topic}"), "table.name.format"},
		{"batch size", base("batch.size", "0"), "batch.size"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.cfg)
			var ce *sdk.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a ConfigError", err)
			}
			if v := (&connector{}).Validate(context.Background(), tt.cfg); len(v[tt.key]) == 0 {
				t.Errorf("Validate = %v, want an error for %s", v, tt.key)
			}
		})
	}
}

func TestTableFormat(t *testing.T) {
	tests := []struct {
		format, topic string
		want          tableID
		sql           string
	}{
		{"${topic}", "orders", tableID{Name: "orders"}, `"orders"`},
		{"${topic}", "dbserver1.public.orders", tableID{Name: "dbserver1.public.orders"}, `"dbserver1.public.orders"`},
		{"inventory.${topic}", "Orders", tableID{Schema: "inventory", Name: "Orders"}, `"inventory"."Orders"`},
		{"kafka_${topic}_v1", "a", tableID{Name: "kafka_a_v1"}, `"kafka_a_v1"`},
		{"s.t", "x", tableID{Schema: "s", Name: "t"}, `"s"."t"`},
		{`we"ird`, "x", tableID{Name: `we"ird`}, `"we""ird"`},
	}
	for _, tt := range tests {
		f, err := parseTableFormat(tt.format)
		if err != nil {
			t.Fatalf("%s: %v", tt.format, err)
		}
		got := f.resolve(tt.topic)
		if got != tt.want || got.String() != tt.sql {
			t.Errorf("%s with %s = %+v (%s), want %+v (%s)", tt.format, tt.topic, got, got, tt.want, tt.sql)
		}
	}
	for _, bad := range []string{"", ".t", "s.", "a.b.c"} {
		if _, err := parseTableFormat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
