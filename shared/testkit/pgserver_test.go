package testkit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// The server StartPostgresServer runs loads the dev dynamic config; it must hold
// every production setting with production's value, so tests run under
// production's limits.
func TestDevDynamicConfigKeepsProductionValues(t *testing.T) {
	read := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join(RepoRoot(t), "deploy", "temporal", name))
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, yaml.Unmarshal(b, &m), name)
		return m
	}
	prod, dev := read("dynamicconfig.yaml"), read("dynamicconfig-dev.yaml")
	require.NotEmpty(t, prod)
	for key, want := range prod {
		assert.Equal(t, want, dev[key], "dynamicconfig-dev.yaml: %s differs from dynamicconfig.yaml", key)
	}
}
