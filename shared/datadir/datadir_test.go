package datadir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRelativePathsResolveAgainstTheDataDirNotTheWorkingDirectory(t *testing.T) {
	base := t.TempDir()
	require.NoError(t, Set(base))
	t.Cleanup(func() { dir = "" })
	t.Chdir(t.TempDir())

	assert.Equal(t, filepath.Join(base, "iceberg", "catalog.db"), Resolve("iceberg/catalog.db"))
	assert.Equal(t, "/etc/matih/routes.yaml", Resolve("/etc/matih/routes.yaml"))
	assert.Equal(t, "s3://lake/staging", Resolve("s3://lake/staging"))
	assert.Equal(t, "", Resolve(""))
}

func TestDefaultFollowsTheEnvironment(t *testing.T) {
	t.Setenv(Env, "/srv/matih")
	assert.Equal(t, "/srv/matih", Default())
	os.Unsetenv(Env)
	t.Setenv("XDG_STATE_HOME", "/home/op/.state")
	assert.Equal(t, "/home/op/.state/matih", Default())
}
