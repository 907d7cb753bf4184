package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/tui/internal/audit"
)

func TestAuditVerifyFindsAnEditedLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := &audit.Log{Path: path}
	for _, r := range []string{"one", "two", "three"} {
		require.NoError(t, l.Append(audit.Entry{Identity: "ana@matih", Action: "approve", Workflow: "wf", Reason: r, Outcome: "ok"}))
	}
	out, _, err := runCLI(t, "audit", "verify", path)
	require.NoError(t, err)
	assert.Contains(t, out, "3 lines, chain intact")

	raw, _ := os.ReadFile(path)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), `"reason":"two"`, `"reason":"2"`, 1)), 0o600))
	_, _, err = runCLI(t, "audit", "verify", path)
	require.Error(t, err)
	assert.Equal(t, ExitError, ExitCode(err))
	assert.Contains(t, err.Error(), "line 3")
}
