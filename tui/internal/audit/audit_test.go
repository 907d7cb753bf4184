package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendWritesJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "audit.log")
	l := &Log{Path: path}
	require.NoError(t, l.Append(Entry{Identity: "ana@b", Action: "approve", Workflow: "wf-1", Reason: "ok by me", Outcome: Outcome(nil)}))
	require.NoError(t, l.Append(Entry{Identity: "ana@b", Action: "cancel", Workflow: "wf-2", Outcome: Outcome(errors.New("refused: read-only"))}))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var got []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		got = append(got, m)
	}
	require.Len(t, got, 2)
	assert.Equal(t, "approve", got[0]["action"])
	assert.Equal(t, "ok", got[0]["outcome"])
	assert.Equal(t, "ok by me", got[0]["reason"])
	assert.NotEmpty(t, got[0]["time"])
	assert.Equal(t, "error: refused: read-only", got[1]["outcome"])
}

func TestDefaultPathHonoursEnv(t *testing.T) {
	t.Setenv(EnvPath, "/x/audit.log")
	assert.Equal(t, "/x/audit.log", DefaultPath())
	t.Setenv(EnvPath, "")
	t.Setenv("XDG_STATE_HOME", "/state")
	assert.Equal(t, "/state/matih/audit.log", DefaultPath())
}
