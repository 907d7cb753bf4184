package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

func TestTheChainFindsALineChangedRemovedOrInserted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l := &Log{Path: path}
	for _, a := range []string{"approve", "reject", "cancel", "approve"} {
		require.NoError(t, l.Append(Entry{Identity: "ana@matih", Action: a, Workflow: "wf", Outcome: "ok"}))
	}
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	n, err := Verify(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, 4, n)

	lines := strings.SplitAfter(string(raw), "\n")
	changed := strings.Replace(string(raw), `"action":"reject"`, `"action":"approve"`, 1)
	_, err = Verify(strings.NewReader(changed))
	assert.ErrorContains(t, err, "line 3:", "the line after the changed one no longer matches")
	removed := lines[0] + lines[2] + lines[3]
	_, err = Verify(strings.NewReader(removed))
	assert.ErrorContains(t, err, "line 2:")
	inserted := lines[0] + lines[1] + lines[1] + lines[2] + lines[3]
	_, err = Verify(strings.NewReader(inserted))
	assert.ErrorContains(t, err, "line 3:")
}

func TestProcessesAppendingAtOnceKeepTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &Log{Path: path} // one Log each, as separate processes have
			for j := range 25 {
				assert.NoError(t, l.Append(Entry{Identity: fmt.Sprintf("p%d", i), Action: "approve", Workflow: fmt.Sprint(j), Outcome: "ok"}))
			}
		}()
	}
	wg.Wait()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	n, err := Verify(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Equal(t, 200, n)
}
