package cli

import (
	"testing"
	"time"
)

// FuzzBuildStart: a config file of any content gets a usage error or a checked
// request, never a panic.
func FuzzBuildStart(f *testing.F) {
	f.Add("pipeline", "p.yaml", "pipeline_id: s\nsource: {connection: sales, table: t}\ndestination: {table: a.b}\nmin_quality_score: 0.5\n")
	f.Add("backfill", "b.json", `{"pipeline_id":"s","source":{"connection":"c","table":"t"},"partition_column":"d","start_date":"2026-01-01","end_date":"2026-01-02","partition_size":"day","destination":{"table":"a.b"}}`)
	f.Add("migration", "m.yml", "migration_id: m\ntarget: postgres\nconnection: db\ntable: t\nstatements: [ALTER TABLE t ADD c int]\n")
	f.Add("maintenance", "t.yaml", "tables: [a.b]\n")
	f.Add("pipeline", "p.yaml", "pipeline_id: [unclosed\n")
	f.Add("pipeline", "p.yaml", "&a [*a, *a, *a]")
	f.Fuzz(func(t *testing.T, kind, name, body string) {
		_, _ = BuildStart(kind, name, []byte(body), time.Date(2026, 2, 12, 6, 7, 8, 0, time.UTC))
	})
}
