package contract

import (
	"regexp"
	"strings"
)

var unsafeSegment = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// StagingSegment reduces one name to a safe key segment of the staging store, so
// no pipeline id or run id can climb out of its run's prefix.
func StagingSegment(s string) string {
	s = unsafeSegment.ReplaceAllString(s, "_")
	if s == "" || s == "." || s == ".." {
		s = "_" + s
	}
	return s
}

// StagingRoot is the key prefix, inside the worker's staging store, that holds one
// run's staged files: <staging_path or pipeline_id>/<run>/. staging_path, when set,
// is a relative prefix inside the store, never a folder or URL of the caller's choice.
func StagingRoot(stagingPath, pipelineID, run string) (string, error) {
	if stagingPath == "" {
		return StagingSegment(pipelineID) + "/" + StagingSegment(run) + "/", nil
	}
	p := strings.Trim(stagingPath, "/")
	if strings.Contains(stagingPath, "://") || strings.HasPrefix(stagingPath, "/") || strings.Contains(p, "\\") || p == "" {
		return "", Invalid("staging_path", "a relative prefix inside the worker's staging store (e.g. team-a/nightly), got %q", stagingPath)
	}
	var b strings.Builder
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || StagingSegment(seg) != seg {
			return "", Invalid("staging_path", "a relative prefix of letters, digits, '.', '_' and '-' segments, got %q", stagingPath)
		}
		b.WriteString(seg + "/")
	}
	return b.String() + StagingSegment(run) + "/", nil
}
