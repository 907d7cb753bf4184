package connections

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/matih/ops/shared/datadir"
)

// SparkSettings is what a spark connection (a Livy server) lets workflows run, and
// the job settings every submission gets. Workflow input picks an application
// file under one of Files; it cannot name a cluster, a queue or credentials.
type SparkSettings struct {
	// Files are the URL prefixes of the application files workflows may run
	// (s3a://jobs/extract/): required, so a caller cannot run arbitrary code.
	Files []string `json:"files" yaml:"files"`
	// SQLFile is the application that runs a query source (optional).
	SQLFile string `json:"sql_file,omitempty" yaml:"sql_file,omitempty"`
	// AllowQueries lets sources on this connection carry a query, which reaches the
	// cluster's SQL with the job's grants. Off by default: a source names a table or a
	// job file. Even on, a query calling JVM code (java_method, reflect) or reading a
	// path (parquet.`s3a://…`) is refused.
	AllowQueries bool `json:"allow_queries,omitempty" yaml:"allow_queries,omitempty"`
	// StagingURL is how the cluster addresses the worker's staging store, when it
	// differs from --staging-url (s3a://bucket/staging for s3://bucket/staging).
	StagingURL string `json:"staging_url,omitempty" yaml:"staging_url,omitempty"`
	// Conf, Queue and the sizes go into every batch the worker submits.
	Conf           map[string]string `json:"conf,omitempty" yaml:"conf,omitempty"`
	Queue          string            `json:"queue,omitempty" yaml:"queue,omitempty"`
	ProxyUser      string            `json:"proxy_user,omitempty" yaml:"proxy_user,omitempty"`
	DriverMemory   string            `json:"driver_memory,omitempty" yaml:"driver_memory,omitempty"`
	ExecutorMemory string            `json:"executor_memory,omitempty" yaml:"executor_memory,omitempty"`
	ExecutorCores  int               `json:"executor_cores,omitempty" yaml:"executor_cores,omitempty"`
	NumExecutors   int               `json:"num_executors,omitempty" yaml:"num_executors,omitempty"`
	// Poll is how often the batch's state is read (default 10 s).
	Poll string `json:"poll,omitempty" yaml:"poll,omitempty"`
}

// DefaultSparkPoll is how often a batch's state is read when the connection sets no poll.
const DefaultSparkPoll = 10 * time.Second

func (c Connection) checkSpark() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("connection %s: url: expected the Livy server as http(s)://host[:port][/path], got %q", c.Name, redactURL(c.URL))
	}
	if u.User != nil {
		return fmt.Errorf("connection %s: url: no credentials in the URL; use username with password_env or password_file, or token_env or token_file", c.Name)
	}
	if c.Path != "" || c.DSN != "" {
		return fmt.Errorf("connection %s: a spark connection has a url, not a path or a dsn", c.Name)
	}
	if (c.TokenEnv != "" || c.TokenFile != "") && (c.Username != "" || c.PasswordEnv != "" || c.PasswordFile != "") {
		return fmt.Errorf("connection %s: either a token (token_env, token_file) or a username and password, not both", c.Name)
	}
	s := c.Spark
	if s == nil || len(s.Files) == 0 {
		return fmt.Errorf("connection %s: spark.files: required, the URL prefixes of the application files workflows may run", c.Name)
	}
	for i, f := range append(append([]string{}, s.Files...), s.SQLFile) {
		if f == "" && i == len(s.Files) {
			continue // no SQL application
		}
		if fu, err := url.Parse(f); err != nil || fu.Scheme == "" {
			return fmt.Errorf("connection %s: spark: expected object-store URLs (s3a://bucket/jobs/) in files and sql_file, got %q", c.Name, f)
		}
	}
	if s.SQLFile != "" && !s.AllowQueries {
		return fmt.Errorf("connection %s: spark.sql_file runs the queries of workflow input: set spark.allow_queries: true to accept them, or remove sql_file", c.Name)
	}
	if s.StagingURL != "" {
		if su, err := url.Parse(s.StagingURL); err != nil || su.Scheme == "" {
			return fmt.Errorf("connection %s: spark.staging_url: expected a URL (s3a://bucket/staging), got %q", c.Name, s.StagingURL)
		}
	}
	if s.ExecutorCores < 0 || s.NumExecutors < 0 {
		return fmt.Errorf("connection %s: spark: executor_cores and num_executors are positive numbers", c.Name)
	}
	if _, err := c.SparkPoll(); err != nil {
		return err
	}
	return nil
}

// SparkPoll is how often the connection's batches are polled.
func (c Connection) SparkPoll() (time.Duration, error) {
	if c.Spark == nil || c.Spark.Poll == "" {
		return DefaultSparkPoll, nil
	}
	d, err := time.ParseDuration(c.Spark.Poll)
	if err != nil || d < 100*time.Millisecond {
		return 0, fmt.Errorf("connection %s: spark.poll: expected a duration of at least 100ms (\"10s\"), got %q", c.Name, c.Spark.Poll)
	}
	return d, nil
}

// AllowsFile tells whether a workflow may run file on this connection: it is under
// one of spark.files. Prefixes match whole path segments, so s3a://jobs/extract/
// does not allow s3a://jobs/extract-evil/.
func (c Connection) AllowsFile(file string) bool {
	if c.Spark == nil || strings.Contains(file, "/../") || strings.HasSuffix(file, "/..") {
		return false
	}
	for _, p := range c.Spark.Files {
		if file == p || strings.HasPrefix(file, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// Credentials are a spark connection's: a bearer token, or a username and password.
func (c Connection) Credentials() (username, password, token string, err error) {
	read := func(field, env, file string) (string, error) {
		if env != "" {
			return os.Getenv(env), nil
		}
		if file != "" {
			b, err := os.ReadFile(datadir.Resolve(file))
			if err != nil {
				return "", fmt.Errorf("connection %s: %s: %w", c.Name, field, err)
			}
			return strings.TrimSpace(string(b)), nil
		}
		return "", nil
	}
	if token, err = read("token_file", c.TokenEnv, c.TokenFile); err != nil || token != "" {
		return "", "", token, err
	}
	password, err = read("password_file", c.PasswordEnv, c.PasswordFile)
	return c.Username, password, "", err
}

// redactURL drops any user info from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	u.User = nil
	return u.String()
}
