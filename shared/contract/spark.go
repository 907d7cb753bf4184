package contract

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// SparkJob is what a spark source runs: an application file in object storage
// (a JAR with its main class, or a Python file) with its arguments. A source with
// a query and no file runs the query through the SQL application the worker's
// connection names. The worker appends its own --matih-* arguments (where to write,
// the partition's bounds); see the worker-pipeline README for the job's contract.
type SparkJob struct {
	File      string   `json:"file,omitempty" yaml:"file,omitempty"`
	ClassName string   `json:"class_name,omitempty" yaml:"class_name,omitempty"`
	Args      []string `json:"args,omitempty" yaml:"args,omitempty"`
}

// Limits of a Spark job's input: they bound what a caller can put in history and
// in the cluster's command line.
const (
	MaxSparkArgs   = 64
	MaxSparkArgLen = 4096
	// SparkArgPrefix starts the arguments the worker adds; a caller may not.
	SparkArgPrefix = "--matih-"
)

var classNameRe = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)

// validateSpark checks a spark source: a job file or a query, and an optional table
// (passed to the job) with its columns.
func (s SourceConfig) validateSpark(prefix string) error {
	if s.Kind != "" && s.Kind != SourceSpark {
		return Invalid(prefix+".spark", "only for a source of kind %q, got kind %q", SourceSpark, s.Kind)
	}
	job := SparkJob{}
	if s.Spark != nil {
		job = *s.Spark
	}
	if job.File == "" && strings.TrimSpace(s.Query) == "" {
		return Invalid(prefix+".spark.file", "required: the job's application file, or a query for the connection's SQL job")
	}
	if job.File != "" {
		if err := sparkFile(prefix+".spark.file", job.File); err != nil {
			return err
		}
	}
	if job.ClassName != "" && (len(job.ClassName) > 256 || !classNameRe.MatchString(job.ClassName)) {
		return Invalid(prefix+".spark.class_name", "a Java class name (com.example.Extract), got %q", job.ClassName)
	}
	if len(job.Args) > MaxSparkArgs {
		return Invalid(prefix+".spark.args", "at most %d arguments, got %d", MaxSparkArgs, len(job.Args))
	}
	for i, a := range job.Args {
		field := fmt.Sprintf("%s.spark.args[%d]", prefix, i)
		switch {
		case len(a) > MaxSparkArgLen:
			return Invalid(field, "at most %d bytes, got %d", MaxSparkArgLen, len(a))
		case hasControl(a):
			return Invalid(field, "printable text without control characters")
		case strings.HasPrefix(a, SparkArgPrefix):
			return Invalid(field, "not an argument starting %q: the worker sets those", SparkArgPrefix)
		}
	}
	if s.Table != "" && !identRe.MatchString(s.Table) {
		return Invalid(prefix+".table", "a plain SQL identifier, got %q", s.Table)
	}
	for i, c := range s.Columns {
		if !identRe.MatchString(c) {
			return Invalid(fmt.Sprintf("%s.columns[%d]", prefix, i), "a plain SQL identifier, got %q", c)
		}
	}
	if q := strings.ToLower(strings.TrimSpace(s.Query)); q != "" && !strings.HasPrefix(q, "select") && !strings.HasPrefix(q, "with") {
		return Invalid(prefix+".query", "a read-only SELECT or WITH query")
	}
	return nil
}

// sparkFile checks an application file is an object-store URL (s3a://bucket/app.jar).
func sparkFile(field, file string) error {
	u, err := url.Parse(file)
	if len(file) > 1024 || hasControl(file) || err != nil || u.Scheme == "" || u.Host == "" && u.Scheme != "local" {
		return Invalid(field, "a URL of the job's JAR or Python file (s3a://bucket/jobs/extract.py), got %q", Trunc(file, 80))
	}
	if !strings.HasSuffix(u.Path, ".jar") && !strings.HasSuffix(u.Path, ".py") {
		return Invalid(field, "a .jar or .py file, got %q", Trunc(file, 80))
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// Trunc cuts s to at most n characters for an error message, marking the cut. It
// cuts between characters, never inside one.
func Trunc(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
