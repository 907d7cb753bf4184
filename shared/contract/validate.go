package contract

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

var connectionRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// ValidateConnectionName checks the name of a connection a worker defines.
func ValidateConnectionName(field, name string) error {
	if !connectionRe.MatchString(name) {
		return Invalid(field, "the name of a connection the worker defines (a letter, then letters, digits, '_', '.' or '-'), got %q", name)
	}
	return nil
}

// Validate checks a source config; prefix names the field's position ("source").
// The form with a dsn is accepted here only so that runs started before
// connections existed still validate; RequireConnection refuses it.
func (s SourceConfig) Validate(prefix string) error {
	switch s.Kind {
	case "", SourceSQLite, SourcePostgres, SourceSpark:
	default:
		return Invalid(prefix+".kind", "one of %q, %q, %q, got %q", SourceSQLite, SourcePostgres, SourceSpark, s.Kind)
	}
	switch {
	case s.Connection != "":
		if err := ValidateConnectionName(prefix+".connection", s.Connection); err != nil {
			return err
		}
		if s.DSN != "" {
			return Invalid(prefix+".dsn", "either a connection or a dsn, not both; name a connection")
		}
	case strings.TrimSpace(s.DSN) == "":
		return Invalid(prefix+".connection", "required: the name of a connection the worker defines")
	case s.Kind == "":
		return Invalid(prefix+".kind", "required with a dsn: one of %q, %q", SourceSQLite, SourcePostgres)
	case s.Kind == SourcePostgres && dsnHasPassword(s.DSN):
		return Invalid(prefix+".dsn", "no password: set PGPASSWORD or a .pgpass file on the worker so secrets stay out of workflow history")
	}
	if s.Parallelism < 0 || s.Parallelism > MaxSourceParallelism {
		return Invalid(prefix+".parallelism", "0 to %d key ranges read at once, got %d", MaxSourceParallelism, s.Parallelism)
	}
	if s.SplitColumn != "" {
		switch {
		case !identRe.MatchString(s.SplitColumn):
			return Invalid(prefix+".split_column", "a plain SQL identifier, got %q", s.SplitColumn)
		case s.Table == "" || s.Kind == SourceSpark || s.Spark != nil:
			return Invalid(prefix+".split_column", "only with a table of a postgres source")
		case len(s.Columns) > 0 && !slices.Contains(s.Columns, s.SplitColumn):
			return Invalid(prefix+".split_column", "one of the staged columns %v, got %q", s.Columns, s.SplitColumn)
		}
	}
	if s.Kind == SourceSpark || s.Spark != nil {
		return s.validateSpark(prefix)
	}
	return s.validateRead(prefix)
}

// RequireConnection refuses a source that carries a dsn instead of naming a
// connection: a worker reaches only what its own configuration lists.
func (s SourceConfig) RequireConnection(prefix string) error {
	if s.Connection == "" {
		if s.DSN != "" {
			return Invalid(prefix+".dsn", "not accepted from workflow input: name a connection the worker defines (%s.connection) instead of a DSN or a file path", prefix)
		}
		return Invalid(prefix+".connection", "required: the name of a connection the worker defines")
	}
	return nil
}

// RequireConnection refuses a postgres migration that carries a dsn instead of
// naming a connection the worker defines.
func (c MigrationConfig) RequireConnection() error {
	if c.Target != TargetPostgres || c.Connection != "" {
		return nil
	}
	if c.DSN != "" {
		return Invalid("dsn", "not accepted from workflow input: name a postgres connection the worker defines (connection)")
	}
	return Invalid("connection", "required: the name of a postgres connection the worker defines")
}

// validateRead checks the table or the query.
func (s SourceConfig) validateRead(prefix string) error {
	hasQuery, hasTable := strings.TrimSpace(s.Query) != "", s.Table != ""
	switch {
	case hasQuery && hasTable:
		return Invalid(prefix+".query", "either query or table, not both")
	case !hasQuery && !hasTable:
		return Invalid(prefix+".table", "required: a table (with optional columns) or a query")
	case hasTable:
		if !identRe.MatchString(s.Table) {
			return Invalid(prefix+".table", "a plain SQL identifier, got %q", s.Table)
		}
		for i, c := range s.Columns {
			if !identRe.MatchString(c) {
				return Invalid(fmt.Sprintf("%s.columns[%d]", prefix, i), "a plain SQL identifier, got %q", c)
			}
		}
	case hasQuery:
		q := strings.ToLower(strings.TrimSpace(s.Query))
		if !strings.HasPrefix(q, "select") && !strings.HasPrefix(q, "with") {
			return Invalid(prefix+".query", "a read-only SELECT or WITH query")
		}
	}
	return nil
}

var kvPasswordRe = regexp.MustCompile(`(?i)(^|\s)password\s*=`)

// dsnHasPassword finds a password in a URL DSN (user:pass@ or ?password=) or a
// key=value DSN (password = x), so it can be refused before reaching history.
func dsnHasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		if _, ok := u.User.Password(); ok && u.User != nil {
			return true
		}
		// Whether any key is "password" does not depend on the order keys are seen in.
		//workflowcheck:ignore
		for k := range u.Query() {
			if strings.EqualFold(k, "password") {
				return true
			}
		}
	}
	return kvPasswordRe.MatchString(dsn)
}

// DSNHasPassword reports whether a PostgreSQL DSN carries a password; workers use it
// to refuse such settings and never log them.
func DSNHasPassword(dsn string) bool { return dsnHasPassword(dsn) }

// Validate checks one quality check; prefix names its position.
func (c QualityCheck) Validate(prefix string) error {
	if c.Weight < 0 {
		return Invalid(prefix+".weight", "a non-negative number, got %v", c.Weight)
	}
	switch c.Type {
	case CheckRowCountMin:
		if c.Min == nil || *c.Min < 0 {
			return Invalid(prefix+".min", "a non-negative minimum row count")
		}
	case CheckNotNull, CheckUnique:
		if len(c.Columns) == 0 {
			return Invalid(prefix+".columns", "at least one column for %s", c.Type)
		}
	case CheckAcceptedRange:
		if c.Column == "" {
			return Invalid(prefix+".column", "a column for accepted_range")
		}
		if c.Min == nil && c.Max == nil {
			return Invalid(prefix+".min", "min, max or both for accepted_range")
		}
		if c.Min != nil && c.Max != nil && *c.Min > *c.Max {
			return Invalid(prefix+".max", "max >= min (%v), got %v", *c.Min, *c.Max)
		}
	case CheckFreshness:
		if c.Column == "" {
			return Invalid(prefix+".column", "a timestamp column for freshness")
		}
		if c.MaxAge <= 0 {
			return Invalid(prefix+".max_age", "a positive duration such as \"24h\"")
		}
	default:
		return Invalid(prefix+".type", "one of row_count_min, not_null, unique, accepted_range, freshness, got %q", c.Type)
	}
	return nil
}

// ValidateIcebergTable checks a "namespace.table" identifier.
func ValidateIcebergTable(field, name string) error {
	parts := strings.Split(name, ".")
	if len(parts) < 2 {
		return Invalid(field, "a namespace-qualified table such as \"analytics.orders\", got %q", name)
	}
	for _, p := range parts {
		if !identRe.MatchString(p) {
			return Invalid(field, "dot-separated identifiers, got %q", name)
		}
	}
	return nil
}

// Validate checks a pipeline config before anything runs.
func (c PipelineConfig) Validate() error {
	if !idRe.MatchString(c.PipelineID) {
		return Invalid("pipeline_id", "1-128 letters, digits, '.', '_' or '-', got %q", c.PipelineID)
	}
	if err := c.Source.Validate("source"); err != nil {
		return err
	}
	if c.MinQualityScore < 0 || c.MinQualityScore > 1 {
		return Invalid("min_quality_score", "a number in [0,1], got %v", c.MinQualityScore)
	}
	if c.ApprovalTimeout < 0 {
		return Invalid("approval_timeout", "a positive duration, got %s", c.ApprovalTimeout)
	}
	for i, qc := range c.QualityChecks {
		if err := qc.Validate(fmt.Sprintf("quality_checks[%d]", i)); err != nil {
			return err
		}
	}
	if c.TransformDAG != "" && !idRe.MatchString(c.TransformDAG) {
		return Invalid("transform_dag", "an Airflow DAG id, got %q", c.TransformDAG)
	}
	for i, a := range c.Approvers {
		if strings.TrimSpace(a) == "" || len(a) > MaxApproverBytes {
			return Invalid(fmt.Sprintf("approvers[%d]", i), "an identity (a token's name, an SSH key's identity), got %q", Trunc(a, 64))
		}
	}
	if len(c.StartedBy) > MaxApproverBytes {
		return Invalid("started_by", "at most %d bytes", MaxApproverBytes)
	}
	return ValidateIcebergTable("destination.table", c.Destination.Table)
}

// ParseDate accepts RFC 3339 or YYYY-MM-DD (UTC midnight).
func ParseDate(field, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, Invalid(field, "a date as YYYY-MM-DD or RFC 3339, got %q", s)
}

// Validate checks a backfill config; the partition count is checked by generate_partitions.
func (c BackfillConfig) Validate() error {
	if !idRe.MatchString(c.PipelineID) {
		return Invalid("pipeline_id", "1-128 letters, digits, '.', '_' or '-', got %q", c.PipelineID)
	}
	if err := c.Source.Validate("source"); err != nil {
		return err
	}
	if c.Source.Table == "" {
		return Invalid("source.table", "a table: backfills filter it by partition_column")
	}
	if !identRe.MatchString(c.PartitionColumn) {
		return Invalid("partition_column", "a plain SQL identifier, got %q", c.PartitionColumn)
	}
	start, err := ParseDate("start_date", c.StartDate)
	if err != nil {
		return err
	}
	end, err := ParseDate("end_date", c.EndDate)
	if err != nil {
		return err
	}
	if !end.After(start) {
		return Invalid("end_date", "after start_date (%s), got %s", c.StartDate, c.EndDate)
	}
	switch c.PartitionSize {
	case PartitionHour, PartitionDay, PartitionWeek, PartitionMonth:
	default:
		return Invalid("partition_size", "one of hour, day, week, month, got %q", c.PartitionSize)
	}
	if c.MaxParallel < 0 || c.MaxParallel > MaxParallelCap {
		return Invalid("max_parallel", "between 1 and %d (0 means %d), got %d", MaxParallelCap, DefaultMaxParallel, c.MaxParallel)
	}
	if c.PartitionsPerTask < 0 {
		return Invalid("partitions_per_task", "a positive number, or 0 for auto, got %d", c.PartitionsPerTask)
	}
	switch c.Reprocess {
	case "", ReprocessMissing, ReprocessFailed, ReprocessAll:
	default:
		return Invalid("reprocess", "one of missing, failed, all, got %q", c.Reprocess)
	}
	if c.FailureBudget < 0 {
		return Invalid("failure_budget", "a non-negative number, got %d", c.FailureBudget)
	}
	if c.HistoryLimit != 0 && c.HistoryLimit < MinHistoryLimit {
		return Invalid("history_limit", "at least %d events (0 means %d), got %d", MinHistoryLimit, DefaultHistoryLimit, c.HistoryLimit)
	}
	window := c.MaxParallel
	if window == 0 {
		window = DefaultMaxParallel
	}
	// Tasks in flight keep writing history after the run stops starting new ones.
	if need := window*8 + 20; c.HistoryLimit != 0 && c.HistoryLimit < need {
		return Invalid("history_limit", "at least %d events for max_parallel %d (8 per task in flight, plus 20), got %d", need, window, c.HistoryLimit)
	}
	if c.FailureBudget > MaxFailureBudget {
		return Invalid("failure_budget", "at most %d (failed partitions are listed one by one in the result), got %d", MaxFailureBudget, c.FailureBudget)
	}
	return ValidateIcebergTable("destination.table", c.Destination.Table)
}

// Validate checks a migration config's shape; the target-specific checks run in
// validate_migration against the real table.
func (c MigrationConfig) Validate() error {
	if !identRe.MatchString(c.MigrationID) {
		return Invalid("migration_id", "letters, digits and '_' starting with a letter (it names the backup schema), got %q", c.MigrationID)
	}
	switch c.Target {
	case TargetPostgres:
		switch {
		case c.Connection != "":
			if err := ValidateConnectionName("connection", c.Connection); err != nil {
				return err
			}
			if c.DSN != "" {
				return Invalid("dsn", "either a connection or a dsn, not both; name a connection")
			}
		case c.DSN == "":
			return Invalid("connection", "the name of a postgres connection the worker defines, for target postgres")
		case dsnHasPassword(c.DSN):
			return Invalid("dsn", "no password: set PGPASSWORD or a .pgpass file on the worker")
		}
		if len(c.Statements) == 0 {
			return Invalid("statements", "at least one DDL statement (the migration is empty)")
		}
		for i, s := range c.Statements {
			if strings.TrimSpace(s) == "" {
				return Invalid(fmt.Sprintf("statements[%d]", i), "a non-empty DDL statement")
			}
		}
	case TargetIceberg:
		if err := ValidateIcebergTable("table", c.Table); err != nil {
			return err
		}
		if len(c.AddColumns) == 0 {
			return Invalid("add_columns", "at least one column to add (the migration is empty)")
		}
	default:
		return Invalid("target", "one of %q, %q, got %q", TargetPostgres, TargetIceberg, c.Target)
	}
	if c.Table == "" {
		return Invalid("table", "the table the migration changes")
	}
	if c.Target == TargetPostgres {
		return validatePostgresTable("table", c.Table)
	}
	return nil
}

// validatePostgresTable checks a PostgreSQL table name: "orders" or "public.orders",
// plain SQL identifiers only, so no SQL rides in on the name.
func validatePostgresTable(field, name string) error {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return Invalid(field, "a table such as \"orders\" or \"public.orders\", got %q", name)
	}
	for _, p := range parts {
		if !identRe.MatchString(p) {
			return Invalid(field, "a table such as \"orders\" or \"public.orders\" (plain SQL identifiers), got %q", name)
		}
	}
	return nil
}

// ValidateCatalogURI checks a worker's Iceberg SQL catalog setting: a SQLite file path
// or a postgres:// URL, never with a password in it (PGPASSWORD or .pgpass carry it).
func ValidateCatalogURI(uri string) error {
	switch {
	case strings.TrimSpace(uri) == "":
		return fmt.Errorf("--catalog-uri: expected a SQLite file path or a postgres:// URL")
	case dsnHasPassword(uri):
		return fmt.Errorf("--catalog-uri: no password in the URI: set PGPASSWORD or a .pgpass file on the worker")
	case !strings.Contains(uri, "://") && strings.Contains(uri, "="):
		return fmt.Errorf("--catalog-uri: expected a SQLite file path or a postgres:// URL, got a key=value DSN")
	}
	return nil
}
