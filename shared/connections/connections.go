// Package connections is the worker's own list of the databases it may reach.
// Workflow input names a connection; it never carries a host, a DSN or a file path,
// so whoever can start a workflow reaches only what the worker's operator listed,
// with the credentials the operator gave it.
package connections

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/datadir"
)

// Kinds of connection.
const (
	SQLite   = contract.SourceSQLite
	Postgres = contract.SourcePostgres
	Spark    = contract.SourceSpark
)

// DefaultStatementTimeout bounds one source query when a connection sets none.
const DefaultStatementTimeout = 30 * time.Minute

// Connection is one database the worker may reach.
type Connection struct {
	Name string `json:"-" yaml:"-"`
	Kind string `json:"kind" yaml:"kind"`
	// Path is a SQLite file; relative paths are inside the data directory.
	Path string `json:"path,omitempty" yaml:"path,omitempty"`
	// DSN is a PostgreSQL URL or key=value DSN, without a password.
	DSN string `json:"dsn,omitempty" yaml:"dsn,omitempty"`
	// PasswordEnv and PasswordFile name where the PostgreSQL password is; with
	// neither, pgx's own PGPASSWORD and .pgpass apply (to this host only).
	PasswordEnv  string `json:"password_env,omitempty" yaml:"password_env,omitempty"`
	PasswordFile string `json:"password_file,omitempty" yaml:"password_file,omitempty"`
	// StatementTimeout bounds each source query on this connection ("30m").
	StatementTimeout contract.Duration `json:"statement_timeout,omitempty" yaml:"statement_timeout,omitempty"`
	// MaxParallel caps how many connections one extraction opens here (default 4):
	// a source's parallelism is the team's wish, this is the database owner's limit.
	MaxParallel int `json:"max_parallel,omitempty" yaml:"max_parallel,omitempty"`
	// Use says what the connection is for: [extract] (the default) or [migrate],
	// never both, so extraction and migrations log in as different database roles.
	Use []string `json:"use,omitempty" yaml:"use,omitempty,flow"`
	// Migrate widens what migrations on a use: [migrate] connection may do.
	Migrate *MigrateSettings `json:"migrate,omitempty" yaml:"migrate,omitempty"`
	// URL, Username, TokenEnv, TokenFile and Spark are a spark connection's: see
	// SparkSettings. PasswordEnv and PasswordFile give its basic-auth password.
	URL       string         `json:"url,omitempty" yaml:"url,omitempty"`
	Username  string         `json:"username,omitempty" yaml:"username,omitempty"`
	TokenEnv  string         `json:"token_env,omitempty" yaml:"token_env,omitempty"`
	TokenFile string         `json:"token_file,omitempty" yaml:"token_file,omitempty"`
	Spark     *SparkSettings `json:"spark,omitempty" yaml:"spark,omitempty"`
}

// Registry is the worker's connections by name.
type Registry struct {
	byName map[string]Connection
	source string // where they came from, for error messages
}

// Flags binds --connections (env MATIH_CONNECTIONS).
func Flags(fs *flag.FlagSet, path *string) {
	fs.StringVar(path, "connections", DefaultFile, "YAML file of the databases workflows may name (relative: inside --data-dir); a missing default file means none (env MATIH_CONNECTIONS)")
}

// DefaultFile is the connections file in the data directory.
const DefaultFile = "connections.yaml"

var nameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// Load reads the connections file. No file, or a missing default one, is an empty registry;
// a missing file that was asked for, or any bad entry, is an error naming it.
func Load(path string) (*Registry, error) {
	if path == "" {
		return &Registry{byName: map[string]Connection{}, source: "no --connections file"}, nil
	}
	full := datadir.Resolve(path)
	b, err := os.ReadFile(full)
	if errors.Is(err, os.ErrNotExist) && path == DefaultFile {
		return &Registry{byName: map[string]Connection{}, source: full + " (missing)"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--connections: %w", err)
	}
	raw, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("--connections %s: %v", full, err)
	}
	conns := make([]Connection, 0, len(raw))
	for name, c := range raw {
		c.Name = name
		conns = append(conns, c)
	}
	r, err := New(conns...)
	if err != nil {
		return nil, fmt.Errorf("--connections %s: %w", full, err)
	}
	r.source = full
	return r, nil
}

// decode reads the YAML as JSON would be read, so durations ("30m") and unknown
// fields are handled as everywhere else in the contract.
func decode(b []byte) (map[string]Connection, error) {
	var generic map[string]any
	if err := yaml.Unmarshal(b, &generic); err != nil {
		return nil, fmt.Errorf("not valid YAML: %v", err)
	}
	names := make([]string, 0, len(generic))
	for name := range generic {
		names = append(names, name)
	}
	sort.Strings(names)
	raw := map[string]Connection{}
	for _, name := range names {
		// One connection at a time, so an error says which one holds the bad field.
		js, err := json.Marshal(generic[name])
		if err != nil {
			return nil, err
		}
		var c Connection
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("connection %q: %s", name, fieldError(generic[name], err))
		}
		raw[name] = c
	}
	return raw, nil
}

// fieldError says which field of a connection is wrong and what was expected, in
// the file's own words ("path: expected a string, got array").
func fieldError(settings any, err error) string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("%s: expected %s, got %s", te.Field, te.Type, te.Value)
	case errors.As(err, &te):
		return fmt.Sprintf("expected a mapping of settings (kind, path, dsn ...), got %s", te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return name + ": unknown field (expected kind, path, dsn, password_env, password_file, statement_timeout, max_parallel, url, username, token_env, token_file or spark)"
	}
	// A field's own decoder failed (a duration) without saying which field: find
	// the setting that fails alone.
	if m, ok := settings.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			one, _ := json.Marshal(map[string]any{k: m[k]})
			if json.Unmarshal(one, &Connection{}) != nil {
				return k + ": " + err.Error()
			}
		}
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// New builds a registry from connections, checking each.
func New(conns ...Connection) (*Registry, error) {
	r := &Registry{byName: map[string]Connection{}, source: "this worker's configuration"}
	for _, c := range conns {
		if err := c.check(); err != nil {
			return nil, err
		}
		if _, dup := r.byName[c.Name]; dup {
			return nil, fmt.Errorf("connection %q is defined twice", c.Name)
		}
		r.byName[c.Name] = c
	}
	return r, nil
}

func (c Connection) check() error {
	if !nameRe.MatchString(c.Name) {
		return fmt.Errorf("connection name %q: expected a letter, then letters, digits, '_', '.' or '-' (at most 64)", c.Name)
	}
	switch c.Kind {
	case SQLite:
		if c.Path == "" || c.DSN != "" {
			return fmt.Errorf("connection %s: a sqlite connection has a path and no dsn", c.Name)
		}
	case Postgres:
		if c.DSN == "" || c.Path != "" {
			return fmt.Errorf("connection %s: a postgres connection has a dsn and no path", c.Name)
		}
		if contract.DSNHasPassword(c.DSN) {
			return fmt.Errorf("connection %s: the dsn holds a password; name it with password_env or password_file instead", c.Name)
		}
		if _, err := pgx.ParseConfig(c.DSN); err != nil {
			return fmt.Errorf("connection %s: dsn: cannot parse it as a PostgreSQL DSN", c.Name)
		}
	case Spark:
		if err := c.checkSpark(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("connection %s: kind: expected sqlite, postgres or spark, got %q", c.Name, c.Kind)
	}
	if c.Kind != Spark && (c.URL != "" || c.Spark != nil || c.TokenEnv != "" || c.TokenFile != "" || c.Username != "") {
		return fmt.Errorf("connection %s: url, username, token_env, token_file and spark are for spark connections only", c.Name)
	}
	if err := c.checkUse(); err != nil {
		return err
	}
	if c.StatementTimeout < 0 {
		return fmt.Errorf("connection %s: statement_timeout: expected a positive duration", c.Name)
	}
	if c.MaxParallel < 0 || c.MaxParallel > contract.MaxSourceParallelism {
		return fmt.Errorf("connection %s: max_parallel: expected 0 (the default, %d) to %d, got %d", c.Name, DefaultMaxParallel, contract.MaxSourceParallelism, c.MaxParallel)
	}
	return nil
}

// DefaultMaxParallel is a connection's max_parallel when unset.
const DefaultMaxParallel = 4

// Parallel is how many ranges of a source with parallelism want this connection
// reads at once.
func (c Connection) Parallel(want int) int {
	limit := c.MaxParallel
	if limit == 0 {
		limit = DefaultMaxParallel
	}
	return max(1, min(want, limit))
}

// Names lists the connections, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get finds a connection by the name a workflow gave in field; an unknown name is a
// ValidationError that lists the known ones.
func (r *Registry) Get(field, name string) (Connection, error) {
	if r != nil {
		if c, ok := r.byName[name]; ok {
			return c, nil
		}
	}
	known := "none"
	if r != nil && len(r.byName) > 0 {
		known = strings.Join(r.Names(), ", ")
	}
	src := "this worker's configuration"
	if r != nil {
		src = r.source
	}
	return Connection{}, contract.Invalid(field, "a connection defined in %s (%s), got %q", src, known, name)
}

// Timeout is the connection's statement timeout.
func (c Connection) Timeout() time.Duration {
	if c.StatementTimeout > 0 {
		return c.StatementTimeout.D()
	}
	return DefaultStatementTimeout
}

// SQLitePath is the SQLite file, resolved in the data directory.
func (c Connection) SQLitePath() string { return datadir.Resolve(c.Path) }

// PostgresConfig is the pgx configuration with the password from where the
// connection says.
func (c Connection) PostgresConfig() (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(c.DSN)
	if err != nil {
		return nil, fmt.Errorf("connection %s: cannot parse its dsn", c.Name)
	}
	switch {
	case c.PasswordEnv != "":
		cfg.Password = os.Getenv(c.PasswordEnv)
	case c.PasswordFile != "":
		b, err := os.ReadFile(datadir.Resolve(c.PasswordFile))
		if err != nil {
			return nil, fmt.Errorf("connection %s: password_file: %w", c.Name, err)
		}
		cfg.Password = strings.TrimSpace(string(b))
	}
	return cfg, nil
}

// String names the connection and where it points, never a password.
func (c Connection) String() string {
	if c.Kind == SQLite {
		return c.Name + " (sqlite " + c.SQLitePath() + ")"
	}
	if c.Kind == Spark {
		return c.Name + " (spark " + redactURL(c.URL) + ")"
	}
	if u, err := url.Parse(c.DSN); err == nil && u.Host != "" {
		return c.Name + " (postgres " + u.Host + u.Path + ")"
	}
	return c.Name + " (postgres)"
}
