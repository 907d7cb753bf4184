package lakehouse

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/iceberg-go/table"
	"github.com/stretchr/testify/assert"
)

func TestIsConflict(t *testing.T) {
	for err, want := range map[error]bool{
		fmt.Errorf("commit: %w", table.ErrCommitFailed):                                             true,
		errors.New(`requirement failed: branch "main" has changed: expected id 1, found 2`):         true,
		errors.New(`requirement failed: branch "main" was created concurrently`):                    true,
		errors.New(`requirement failed: ref "backup" is a tag; tags cannot be transaction targets`): false,
		errors.New("requirement failed: current table metadata does not exist"):                     false,
		errors.New("open warehouse/data/part-0.parquet: permission denied"):                         false,
		nil: false,
	} {
		assert.Equal(t, want, isConflict(err), "%v", err)
	}
}
