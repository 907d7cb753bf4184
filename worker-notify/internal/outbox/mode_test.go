package outbox

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The outbox holds quality evidence: only the worker's user reads it, and a file an
// older build left readable by others is closed down when the worker opens it.
func TestTheOutboxIsReadableByItsOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "new", "outbox.jsonl")
	_, err := Open(fresh)
	require.NoError(t, err)
	info, err := os.Stat(fresh)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	old := filepath.Join(dir, "old.jsonl")
	require.NoError(t, os.WriteFile(old, []byte("{}\n"), 0o644))
	_, err = Open(old)
	require.NoError(t, err)
	info, err = os.Stat(old)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}
