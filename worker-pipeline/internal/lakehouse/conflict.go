package lakehouse

import (
	"errors"
	"strings"

	"github.com/apache/iceberg-go/table"
)

// isConflict tells whether a commit lost a race with another writer, so that
// reloading the table and committing again is right. iceberg-go says so in two
// ways: table.ErrCommitFailed when the catalog's metadata pointer moved during
// the commit, and an unwrapped "requirement failed: ... has changed" when it had
// already moved before the commit began (the SQL catalog checks the requirements
// against the current metadata first), or "... was created concurrently" when
// both were a table's first commit. The second is how two worker processes
// committing to one table mostly meet.
func isConflict(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, table.ErrCommitFailed) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "requirement failed:") &&
		(strings.Contains(msg, "has changed") || strings.Contains(msg, "was created concurrently"))
}
