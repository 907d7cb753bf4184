package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/matih/ops/tui/internal/hostiletest"
)

// cliCase is one matih command line that must be refused.
type cliCase struct {
	name string
	args []string
	exit int
	want []string // in stderr
	// audited: the command reached the server, which refused it, and the audit log
	// records that refusal (every action is audited, refused or not).
	audited bool
}

func (s *sweep) cliCases(good string) []cliCase {
	long := strings.Repeat("w", 1000)
	return []cliCase{
		{name: "start without a file", args: []string{"start", "pipeline"}, exit: 2, want: []string{"-f/--file is required"}},
		{name: "start without a kind", args: []string{"start", "-f", good}, exit: 2, want: []string{"start needs one kind"}},
		{name: "start of a hostile kind", args: []string{"start", hostileArg, "-f", good}, exit: 2, want: []string{"expected pipeline, backfill, migration or maintenance"}},
		{name: "start with a missing file", args: []string{"start", "pipeline", "-f", "missing.yaml"}, exit: 2, want: []string{"-f/--file: open missing.yaml"}},
		{name: "ls with a word for a number", args: []string{"ls", "--limit", "many"}, exit: 2, want: []string{`invalid argument "many" for "--limit"`}},
		{name: "ls with a negative limit", args: []string{"ls", "--limit", "-5"}, exit: 2, want: []string{"--limit: expected 0 (every row) or more, got -5"}},
		{name: "ls with a hostile status", args: []string{"ls", "--status", hostileArg}, exit: 2, want: []string{"--status: expected running, awaiting, failed, completed or all"}},
		{name: "ls with SQL in the query", args: []string{"ls", "--query", "WorkflowId = 'x'; DROP TABLE x"}, exit: 2, want: []string{"--query: invalid request: invalid query"}},
		{name: "ls with an argument", args: []string{"ls", "orders"}, exit: 2, want: []string{"matih ls takes no arguments"}},
		{name: "an unknown output format", args: []string{"-o", "xml", "ls"}, exit: 2, want: []string{`--output: expected table, json or jsonl, got "xml"`}},
		{name: "status without an id", args: []string{"status"}, exit: 2, want: []string{"matih status needs exactly one workflow ID"}},
		{name: "status of a 1,000-character id", args: []string{"status", long}, exit: 3, want: []string{"not found"}},
		{name: "status of a 1,001-character id", args: []string{"status", long + "w"}, exit: 2, want: []string{"matih status: the workflow ID: expected 1-1000 printable ASCII characters"}},
		{name: "status of a hostile id", args: []string{"status", hostileArg}, exit: 2, want: []string{"matih status: the workflow ID: expected 1-1000 printable ASCII characters"}},
		{name: "approve without a reason", args: []string{"approve", s.gate}, exit: 2, want: []string{"--reason is required"}},
		{name: "approve with a blank reason", args: []string{"approve", s.gate, "--reason", "   "}, exit: 2, want: []string{"--reason is required"}},
		{name: "reject with an empty reason", args: []string{"reject", s.gate, "--reason", ""}, exit: 2, want: []string{"--reason is required"}},
		{name: "approve with an unknown flag", args: []string{"approve", s.gate, "--reason", "r", "--force"}, exit: 2, want: []string{"unknown flag: --force"}},
		{name: "approve as JSON without a reason", args: []string{"-o", "json", "approve", s.gate}, exit: 2, want: []string{`"code":"usage"`, "--reason is required"}},
		{name: "approve a 1,000-character id", args: []string{"approve", long, "--reason", "r"}, exit: 3, want: []string{"not found"}, audited: true},
		{name: "approve a hostile id", args: []string{"approve", hostileArg, "--reason", "r"}, exit: 2, want: []string{"matih approve: the workflow ID: expected 1-1000 printable ASCII characters"}},
		{name: "cancel without a reason", args: []string{"cancel", s.gate, "--yes"}, exit: 2, want: []string{"--reason is required"}},
		{name: "cancel without a terminal or --yes", args: []string{"cancel", s.gate, "--reason", "r"}, exit: 2, want: []string{"pass --yes when no terminal is attached"}},
		{name: "cancel two ids", args: []string{"cancel", s.gate, "other", "--reason", "r", "--yes"}, exit: 2, want: []string{"matih cancel needs exactly one workflow ID"}},
	}
}

// configCase is one config `matih start KIND -f FILE` must refuse.
type configCase struct {
	name, kind, file, body string
	want                   []string
}

const (
	goodPipeline  = "pipeline_id: sweep\nsource: {connection: demo_orders_dirty, table: orders}\nmin_quality_score: 0.9\ndestination: {table: demo.sweep}\n"
	goodBackfill  = "pipeline_id: sweep\nsource: {connection: demo_orders_dirty, table: orders}\npartition_column: created_at\nstart_date: 2026-01-01\nend_date: 2026-01-03\npartition_size: day\ndestination: {table: demo.sweep}\n"
	goodMigration = "migration_id: add_region\ntarget: postgres\nconnection: sales\ntable: public.orders\nstatements: [ALTER TABLE public.orders ADD COLUMN region text]\n"
)

// jsonConfig is a JSON config with one field set to v (hostile text included,
// escaped as JSON escapes it).
func jsonConfig(field string, v any) string {
	b, _ := json.Marshal(map[string]any{"source": map[string]any{"connection": "demo_orders_dirty", "table": "orders"},
		"min_quality_score": 0.9, "destination": map[string]any{"table": "demo.sweep"}, "pipeline_id": "sweep", field: v})
	return string(b)
}

func configCases() []configCase {
	p := func(old, new string) string { return strings.Replace(goodPipeline, old, new, 1) }
	b := func(old, new string) string { return strings.Replace(goodBackfill, old, new, 1) }
	m := func(old, new string) string { return strings.Replace(goodMigration, old, new, 1) }
	return []configCase{
		{"a word for a number", "pipeline", "p.yaml", p("0.9", "high"), []string{"min_quality_score: expected float64, got string"}},
		{"a word for a duration", "pipeline", "p.yaml", goodPipeline + "approval_timeout: soon\n", []string{"approval_timeout: expected a duration"}},
		{"no destination", "pipeline", "p.yaml", p("destination: {table: demo.sweep}\n", ""), []string{"invalid destination.table"}},
		{"no source", "pipeline", "p.yaml", p("source: {connection: demo_orders_dirty, table: orders}\n", ""), []string{"invalid source.connection: required"}},
		{"SQL in the source table", "pipeline", "p.yaml", p("table: orders", `table: "orders; DROP TABLE x"`), []string{"invalid source.table: a plain SQL identifier"}},
		{"SQL in a column", "pipeline", "p.yaml", p("table: orders", `table: orders, columns: ["id; DROP TABLE x"]`), []string{"invalid source.columns[0]"}},
		{"SQL in the destination", "pipeline", "p.yaml", p("demo.sweep", `"demo.sweep; DROP TABLE x"`), []string{"invalid destination.table"}},
		{"a 1,000-character pipeline id", "pipeline", "p.yaml", p("sweep", strings.Repeat("p", 1000)), []string{"invalid pipeline_id: 1-128 letters"}},
		{"a DSN instead of a connection", "pipeline", "p.yaml", p("connection: demo_orders_dirty", "kind: sqlite, dsn: /etc/passwd"), []string{"invalid source.dsn"}},
		{"a hostile pipeline id", "pipeline", "p.json", jsonConfig("pipeline_id", hostiletest.Text), []string{"invalid pipeline_id"}},
		{"a hostile unknown field", "pipeline", "p.json", jsonConfig(hostiletest.Text, 1), []string{"unknown field"}},
		{"a file over 2 MB", "pipeline", "p.json", jsonConfig("staging_path", strings.Repeat("s", 2<<20)), []string{"-f/--file", "at most 1048576 bytes"}},
		{"not YAML", "pipeline", "p.yaml", "pipeline_id: [unclosed\n", []string{"not valid YAML"}},
		{"SQL in the partition column", "backfill", "b.yaml", b("created_at", `"created_at; DROP TABLE x"`), []string{"invalid partition_column"}},
		{"a word for a number in a backfill", "backfill", "b.yaml", goodBackfill + "max_parallel: ten\n", []string{"max_parallel: expected int"}},
		{"a word for a date", "backfill", "b.yaml", b("2026-01-01", "yesterday"), []string{"invalid start_date"}},
		{"a backfill without a table", "backfill", "b.yaml", b("table: orders", "query: select 1"), []string{"invalid source.table"}},
		{"SQL in the migration id", "migration", "m.yaml", m("add_region", `"add_region; DROP TABLE x"`), []string{"invalid migration_id"}},
		{"SQL in the migration table", "migration", "m.yaml", m("table: public.orders", `table: "orders; DROP TABLE x"`), []string{"invalid table"}},
		{"a string for a list", "migration", "m.yaml", m("[ALTER TABLE public.orders ADD COLUMN region text]", "DROP TABLE x"), []string{"statements: expected []string, got string"}},
		{"a migration without a target", "migration", "m.yaml", m("target: postgres\n", ""), []string{"invalid target"}},
		{"a string for a table list", "maintenance", "t.yaml", "tables: demo.orders\n", []string{"tables: expected []string, got string"}},
	}
}

// apiCase is one POST the Pipeline Service must refuse.
type apiCase struct {
	name, path, body string
	code             int
	field            string // the error's field; "" where the whole body is at fault
	want             string // in the message
}

func (s *sweep) apiCases() []apiCase {
	const execute = "/v1/pipelines/orders-low-quality/execute"
	signal := "/v1/pipelines/workflows/" + s.gate + "/signal"
	key, _ := json.Marshal(hostiletest.Text)
	big := `{"pipeline_id":"` + strings.Repeat("x", 2<<20) + `"}`
	backfill := `{"pipeline_id":"sweep","source":{"connection":"demo_orders_dirty","table":"orders"},"partition_column":"created_at",` +
		`"start_date":"2026-01-01","end_date":"2026-01-03","partition_size":"day","destination":{"table":"demo.sweep"}}`
	bf := func(old, new string) string { return strings.Replace(backfill, old, new, 1) }
	migration := `{"migration_id":"add_region","target":"postgres","connection":"sales","table":"public.orders","statements":["ALTER TABLE public.orders ADD COLUMN region text"]}`
	mg := func(old, new string) string { return strings.Replace(migration, old, new, 1) }
	bad := http.StatusBadRequest
	return []apiCase{
		{"execute: a word for a number", execute, `{"min_quality_score":"high"}`, bad, "min_quality_score", "expected float64, got string"},
		{"execute: a word for a duration", execute, `{"approval_timeout":"soon"}`, bad, "approval_timeout", "expected a duration"},
		{"execute: a score out of range", execute, `{"min_quality_score":5}`, bad, "min_quality_score", "a number in [0,1]"},
		{"execute: SQL in a source it may not set", execute, `{"source":{"table":"orders; DROP TABLE x"}}`, bad, "source", "unknown field"},
		{"execute: a hostile unknown field", execute, `{` + string(key) + `:1}`, bad, strconv.Quote(hostiletest.Text), "unknown field"},
		{"execute: a body over 2 MB", execute, big, http.StatusRequestEntityTooLarge, "", "larger than 1048576 bytes"},
		{"execute: a 1,000-character pipeline", "/v1/pipelines/" + strings.Repeat("p", 1000) + "/execute", "", http.StatusNotFound, "", "unknown pipeline"},
		{"execute: a hostile pipeline", "/v1/pipelines/" + url.PathEscape(hostiletest.Text) + "/execute", "", http.StatusNotFound, "", "unknown pipeline"},
		{"backfill: a word for a number", "/v1/backfills", bf(`"day"`, `"day","max_parallel":"ten"`), bad, "max_parallel", "expected int"},
		{"backfill: no pipeline id", "/v1/backfills", bf(`"pipeline_id":"sweep",`, ""), bad, "pipeline_id", "1-128 letters"},
		{"backfill: SQL in the partition column", "/v1/backfills", bf(`"created_at"`, `"created_at; DROP TABLE x"`), bad, "partition_column", "a plain SQL identifier"},
		{"backfill: SQL in the source table", "/v1/backfills", bf(`"orders"`, `"orders; DROP TABLE x"`), bad, "source.table", "a plain SQL identifier"},
		{"backfill: a 1,000-character pipeline id", "/v1/backfills", bf(`"sweep"`, `"`+strings.Repeat("p", 1000)+`"`), bad, "pipeline_id", "1-128 letters"},
		{"backfill: a DSN instead of a connection", "/v1/backfills", bf(`"connection":"demo_orders_dirty"`, `"kind":"sqlite","dsn":"/etc/passwd"`), bad, "source.dsn", "not accepted from workflow input"},
		{"backfill: a body over 2 MB", "/v1/backfills", big, http.StatusRequestEntityTooLarge, "", "larger than 1048576 bytes"},
		{"migration: SQL in the id", "/v1/migrations", mg(`"add_region"`, `"add_region; DROP TABLE x"`), bad, "migration_id", "letters, digits and '_'"},
		{"migration: SQL in the table", "/v1/migrations", mg(`"public.orders"`, `"orders; DROP TABLE x"`), bad, "table", "plain SQL identifiers"},
		{"migration: a string for a list", "/v1/migrations", mg(`["ALTER TABLE public.orders ADD COLUMN region text"]`, `"DROP TABLE x"`), bad, "statements", "expected []string, got string"},
		{"migration: a hostile id", "/v1/migrations", mg(`"add_region"`, string(key)), bad, "migration_id", "letters, digits and '_'"},
		{"migration: a body over 2 MB", "/v1/migrations", big, http.StatusRequestEntityTooLarge, "", "larger than 1048576 bytes"},
		{"signal: a word for a boolean", signal, `{"name":"approval","data":{"approved":"yes","reason":"r"}}`, bad, "data.approved", "expected bool, got string"},
		{"signal: no decision", signal, `{"name":"approval","data":{"reason":"r"}}`, bad, "data.approved", "required"},
		{"signal: no reason", signal, `{"name":"approval","data":{"approved":true}}`, bad, "data.reason", "required"},
		{"signal: a cancel without a reason", signal, `{"name":"cancel","data":{"requested_by":"x"}}`, bad, "data.reason", "required"},
		{"signal: a number for requested_by", signal, `{"name":"cancel","data":{"requested_by":5,"reason":"r"}}`, bad, "data.requested_by", "expected string"},
		{"signal: a hostile name", signal, `{"name":` + string(key) + `,"data":{}}`, bad, "name", `expected "approval" or "cancel"`},
		{"signal: data that is not an object", signal, `{"name":"approval","data":"yes"}`, bad, "data", "expected a JSON object"},
		{"signal: a body over 2 MB", signal, big, http.StatusRequestEntityTooLarge, "", "larger than 1048576 bytes"},
		{"signal: a 1,000-character id", "/v1/pipelines/workflows/" + strings.Repeat("w", 1000) + "/signal", `{"name":"approval","data":{"approved":true,"reason":"r"}}`, http.StatusNotFound, "", "not found"},
		{"signal: a 1,001-character id", "/v1/pipelines/workflows/" + strings.Repeat("w", 1001) + "/signal", `{"name":"approval","data":{"approved":true,"reason":"r"}}`, bad, "workflowId", "1-1000 printable ASCII"},
		{"signal: a hostile id", "/v1/pipelines/workflows/" + url.PathEscape(hostileArg) + "/signal", `{"name":"approval","data":{"approved":true,"reason":"r"}}`, bad, "workflowId", "1-1000 printable ASCII"},
	}
}

// workerCase is one worker-pipeline configuration the worker must refuse before it
// dials Temporal.
type workerCase struct {
	name  string
	args  []string
	env   []string
	conns string // a connections file (--connections) when set
	want  []string
}

func workerCases() []workerCase {
	conn := func(name, body string, want ...string) workerCase {
		return workerCase{name: name, conns: body, want: want}
	}
	return []workerCase{
		{name: "a word for a number", args: []string{"--rows-per-file", "many"}, want: []string{`invalid value "many" for flag -rows-per-file`}},
		{name: "too few rows per file", args: []string{"--rows-per-file", "10"}, want: []string{"--rows-per-file: expected at least 1000, got 10"}},
		{name: "no concurrency", args: []string{"--concurrency", "0"}, want: []string{"--concurrency: expected 1..1000, got 0"}},
		{name: "a word for a duration", args: []string{"--airflow-poll", "soon"}, want: []string{`invalid value "soon" for flag -airflow-poll`}},
		{name: "a hostile catalog type", args: []string{"--catalog-type", hostileArg}, want: []string{"--catalog-type: expected sql or rest"}},
		{name: "SQL in the catalog type", args: []string{"--catalog-type", "sql; DROP TABLE x"}, want: []string{"--catalog-type: expected sql or rest"}},
		{name: "a password in the catalog URI", args: []string{"--catalog-uri", "postgres://etl:s3cret@db/catalog"}, want: []string{"--catalog-uri: no password"}},
		{name: "a word for a number in the environment", env: []string{"MATIH_CONCURRENCY=many"}, want: []string{`MATIH_CONCURRENCY="many"`}},
		{name: "a connections file that is missing", args: []string{"--connections", "missing.yaml"}, want: []string{"--connections: open ", "missing.yaml: no such file or directory"}},
		conn("a list for a path", "demo:\n  kind: sqlite\n  path: [a.db, b.db]\n", `connection "demo": path: expected string, got array`),
		conn("no path", "demo:\n  kind: sqlite\n", "connection demo: a sqlite connection has a path"),
		conn("an unknown field", "demo:\n  kind: sqlite\n  path: a.db\n  host: evil.example\n", `connection "demo": "host": unknown field`),
		conn("a word for a statement timeout", "demo:\n  kind: postgres\n  dsn: postgres://etl@db/sales\n  statement_timeout: soon\n", `connection "demo": statement_timeout: expected a duration`),
		conn("an unknown kind", "demo:\n  kind: oracle\n", `connection demo: kind: expected sqlite, postgres or spark, got "oracle"`),
		conn("a password in the dsn", "demo:\n  kind: postgres\n  dsn: postgres://etl:s3cret@db/sales\n", "connection demo: the dsn holds a password"),
		conn("SQL in a name", "\"orders; DROP TABLE x\":\n  kind: sqlite\n  path: a.db\n", `connection name "orders; DROP TABLE x": expected a letter`),
		conn("a hostile name", "\"\\e[2J\\u202e\":\n  kind: sqlite\n  path: a.db\n", `connection name "\x1b[2J\u202e": expected a letter`),
		conn("a Spark SQL job without allow_queries", "lake:\n  kind: spark\n  url: https://livy.example:8998\n  spark:\n    files: [s3a://jobs/]\n    sql_file: s3a://jobs/sql.py\n",
			"connection lake: spark.sql_file runs the queries of workflow input: set spark.allow_queries: true"),
		conn("one login for extraction and migrations", "sales:\n  kind: postgres\n  dsn: postgres://etl@db/sales\n  use: [extract, migrate]\n",
			"connection sales: use: one of [extract] or [migrate], not both"),
		conn("a 1,000-character name", strings.Repeat("c", 1000)+":\n  kind: sqlite\n  path: a.db\n", "(at most 64)"),
	}
}

// updateCase is one `approval` update payload the workflow's validator must reject.
type updateCase struct {
	name string
	arg  any
	want string
}

func updateCases() []updateCase {
	return []updateCase{
		{"a word for a boolean", map[string]any{"approved": "yes", "approver": "sweep", "reason": "r"}, "approved of type bool"},
		{"no decision", map[string]any{"approver": "sweep", "reason": "r"}, "approved is required"},
		{"no approver", map[string]any{"approved": true, "reason": "r"}, "approver is required"},
		{"a hostile approver and no decision", map[string]any{"approver": hostiletest.Text, "reason": hostiletest.Text}, "approved is required"},
		{"a string for the payload", "approve", "unable to decode the input"},
		{"a reason over the contract's bound", map[string]any{"approved": true, "approver": "sweep", "reason": strings.Repeat("r", 100<<10)}, "reason is too long: expected at most 16384 bytes, got 102400"},
		// Over 2 MB the validator still refuses, but the SDK's refusal echoes the
		// request, which the server takes no more than the request itself: the caller
		// learns that the workflow task failed, and the run stays as it was.
		{"a payload over 2 MB", map[string]any{"approved": true, "approver": "sweep", "reason": strings.Repeat("r", 2<<20)}, "Unable to perform workflow execution update"},
	}
}

// signalCase is one signal payload the workflow must refuse and record as refused.
type signalCase struct {
	name, signal string
	arg          any
	want         string // in the recorded refusal
}

func signalCases() []signalCase {
	return []signalCase{
		{"approval: a word for a boolean", "approval", map[string]any{"approved": "yes", "approver": "sweep", "reason": "r"}, "approved of type bool"},
		{"approval: no decision", "approval", map[string]any{"approver": "sweep", "reason": "r"}, "approved is required"},
		{"approval: no approver", "approval", map[string]any{"approved": true, "reason": "r"}, "approver is required"},
		{"approval: a hostile approver and no decision", "approval", map[string]any{"approver": hostiletest.Text}, "approved is required"},
		{"cancel: a number for requested_by", "cancel", map[string]any{"requested_by": 5, "reason": "r"}, "requested_by of type string"},
		{"cancel: a string for the payload", "cancel", "stop", "does not decode"},
	}
}
