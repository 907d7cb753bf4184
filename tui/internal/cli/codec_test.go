package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	a := &App{Out: &out, Err: &errOut}
	root := a.Root()
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func TestNewKeysAppendToAPrivateFileAndTheLastEncrypts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys", "codec.keys")
	_, _, err := runCLI(t, "codec", "new-key", "2026-11", "--file", file)
	require.NoError(t, err)
	_, msg, err := runCLI(t, "codec", "new-key", "2026-12", "--file", file)
	require.NoError(t, err)
	assert.Contains(t, msg, "added key 2026-12")
	info, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	out, _, err := runCLI(t, "codec", "keys", "--codec-keys", file)
	require.NoError(t, err)
	assert.Equal(t, "2026-11\n2026-12\n", out)
	raw, _ := os.ReadFile(file)
	assert.NotContains(t, out, strings.Fields(string(raw))[1], "keys lists ids, never secrets")

	_, _, err = runCLI(t, "codec", "new-key", "2026-12", "--file", file)
	assert.ErrorContains(t, err, `has a key "2026-12" already`)
	_, _, err = runCLI(t, "codec", "new-key", "bad id", "--file", file)
	assert.ErrorContains(t, err, "expected 1 to 64 letters")
	_, _, err = runCLI(t, "codec", "new-key", "k9")
	assert.ErrorContains(t, err, "--file")
}
