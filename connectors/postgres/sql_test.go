package postgres

import (
	"slices"
	"testing"
)

func TestCreateTableSQL(t *testing.T) {
	got := createTableSQL(tableID{Schema: "s", Name: "users"},
		[]ddlColumn{{"id", "bigint", true}, {"name", "text", false}, {"Tags", "jsonb", false}}, []string{"id"})
	want := `CREATE TABLE IF NOT EXISTS "s"."users" ("id" bigint NOT NULL, "name" text, "Tags" jsonb, PRIMARY KEY ("id"))`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got = createTableSQL(tableID{Name: "log"}, []ddlColumn{{"line", "text", false}}, nil)
	if want := `CREATE TABLE IF NOT EXISTS "log" ("line" text)`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAddColumnsSQL(t *testing.T) {
	got := addColumnsSQL(tableID{Name: "users"}, []ddlColumn{{"a", "integer", true}, {"b", "text", false}})
	want := `ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "a" integer, ADD COLUMN IF NOT EXISTS "b" text`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestApplySQL(t *testing.T) {
	id := &colMeta{name: "id", typ: "bigint", kind: kindInt8}
	name := &colMeta{name: "name", typ: "character varying(10)", kind: kindText}
	color := &colMeta{name: "color", typ: "public.color", kind: kindOther}
	tbl := tableID{Schema: "s", Name: "t"}
	const rng = `"__freshet_n" >= 4 AND s."__freshet_n" < 9`
	tests := []struct {
		name string
		p    applyPlan
		want string
	}{
		{"insert", applyPlan{mode: modeInsert, table: tbl, stage: "st", cols: []*colMeta{id, name}, npk: 1, hasPut: true},
			`INSERT INTO "s"."t" ("id", "name") SELECT s."id", s."name" FROM "st" s WHERE NOT s."__freshet_del" AND s.` + rng},
		{"insert without key", applyPlan{mode: modeInsert, table: tbl, stage: "st", cols: []*colMeta{name}, npk: 0, hasPut: true},
			`INSERT INTO "s"."t" ("name") SELECT s."name" FROM "st" s WHERE NOT s."__freshet_del" AND s.` + rng},
		{"upsert", applyPlan{mode: modeUpsert, table: tbl, stage: "st", cols: []*colMeta{id, name, color}, npk: 1, hasPut: true},
			`INSERT INTO "s"."t" ("id", "name", "color") SELECT s."id", s."name", s."color"::public.color FROM "st" s WHERE NOT s."__freshet_del" AND s.` + rng +
				` ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name", "color" = EXCLUDED."color"`},
		{"upsert of keys only", applyPlan{mode: modeUpsert, table: tbl, stage: "st", cols: []*colMeta{id}, npk: 1, hasPut: true},
			`INSERT INTO "s"."t" ("id") SELECT s."id" FROM "st" s WHERE NOT s."__freshet_del" AND s.` + rng + ` ON CONFLICT ("id") DO NOTHING`},
		{"upsert with deletes", applyPlan{mode: modeUpsert, table: tbl, stage: "st", cols: []*colMeta{id, name}, npk: 1, hasDel: true, hasPut: true},
			`DELETE FROM "s"."t" t USING "st" s WHERE s."__freshet_del" AND s.` + rng + ` AND t."id" = s."id"; ` +
				`INSERT INTO "s"."t" ("id", "name") SELECT s."id", s."name" FROM "st" s WHERE NOT s."__freshet_del" AND s.` + rng +
				` ON CONFLICT ("id") DO UPDATE SET "name" = EXCLUDED."name"`},
		{"deletes only", applyPlan{mode: modeInsert, table: tbl, stage: "st", cols: []*colMeta{id, color}, npk: 2, hasDel: true},
			`DELETE FROM "s"."t" t USING "st" s WHERE s."__freshet_del" AND s.` + rng + ` AND t."id" = s."id" AND t."color" = s."color"::public.color`},
		{"update", applyPlan{mode: modeUpdate, table: tbl, stage: "st", cols: []*colMeta{id, name}, npk: 1, hasPut: true},
			`UPDATE "s"."t" t SET "name" = s."name" FROM "st" s WHERE NOT s."__freshet_del" AND s.` + rng + ` AND t."id" = s."id"`},
		{"update of keys only", applyPlan{mode: modeUpdate, table: tbl, stage: "st", cols: []*colMeta{id}, npk: 1, hasPut: true}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.sql(4, 9); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestStageTableSQL(t *testing.T) {
	got := stageTableSQL("freshet_stage_1", []*colMeta{
		{name: "id", kind: kindInt8}, {name: "v", kind: kindText}, {name: "n", kind: kindNumeric}, {name: "e", kind: kindOther},
	})
	want := `CREATE TEMP TABLE "freshet_stage_1" ("__freshet_n" integer, "__freshet_del" boolean, ` +
		`"id" bigint, "v" text, "n" numeric, "e" text) ON COMMIT DELETE ROWS`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestOffsetsUpsertSQL(t *testing.T) {
	got := offsetsUpsertSQL(tableID{Name: "offs"}, "it's", []offsetRow{
		{topic: "a", partition: 0, next: 10}, {topic: "b.c", partition: 3, next: 7, retry: []int64{2, 5}},
	})
	want := `INSERT INTO "offs" AS o (connector, topic, "partition", next_offset, retry_offsets) VALUES ` +
		`('it''s', 'a', 0, 10, '{}'), ('it''s', 'b.c', 3, 7, '{2,5}') ON CONFLICT (connector, topic, "partition") ` +
		`DO UPDATE SET next_offset = EXCLUDED.next_offset, retry_offsets = EXCLUDED.retry_offsets, updated_at = now()`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestOffsetsLockSQL(t *testing.T) {
	got := offsetsLockSQL(tableID{Name: "offs"}, "c", []offsetRow{{topic: "a", partition: 0}, {topic: "b", partition: 2}})
	want := `BEGIN; SELECT topic, "partition", next_offset, retry_offsets::text FROM "offs" WHERE connector = 'c' ` +
		`AND (topic, "partition") IN (('a', 0), ('b', 2)) FOR UPDATE`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestOffsetsTrimSQL(t *testing.T) {
	got := offsetsTrimSQL(tableID{Name: "offs"}, "c", []offsetRow{{topic: "a", partition: 1, next: 40}})
	want := `UPDATE "offs" AS o SET retry_offsets = ARRAY(SELECT x FROM unnest(o.retry_offsets) AS x WHERE x >= u.upto ORDER BY x), ` +
		`updated_at = now() FROM (VALUES ('a', 1, 40)) AS u(topic, "partition", upto) WHERE o.connector = 'c' ` +
		`AND o.topic = u.topic AND o."partition" = u."partition"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestParseOffsetArray(t *testing.T) {
	for in, want := range map[string][]int64{"{}": nil, "{7}": {7}, "{1,20,300}": {1, 20, 300}} {
		got, err := parseOffsetArray(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v, %v", in, got, err)
		}
	}
	if _, err := parseOffsetArray("{x}"); err == nil {
		t.Error("no error for {x}")
	}
}
