package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/data"
	"github.com/matih/ops/tui/internal/data/datafake"
)

func manyRuns(n int) *datafake.Fake {
	fk := &datafake.Fake{MaxPage: 7, Docs: map[string]status.Document{}}
	for i := range n {
		fk.Rows = append(fk.Rows, data.Row{WorkflowID: fmt.Sprintf("wf-%03d", i), RunID: "r", Type: contract.DataPipelineWorkflow,
			Status: status.WorkflowRunning, StartedAt: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)})
	}
	return fk
}

func streamed(t *testing.T, fk *datafake.Fake, output string, limit int) string {
	var out bytes.Buffer
	a := &App{Out: &out, Output: output}
	require.NoError(t, a.streamRows(context.Background(), fk, "", limit))
	return out.String()
}

// The JSON array written page by page is, byte for byte, the document written at once.
func TestLsJSONStreamsTheSameDocument(t *testing.T) {
	fk := manyRuns(30)
	var want bytes.Buffer
	require.NoError(t, (&App{Out: &want}).json(fk.Rows))
	assert.Equal(t, want.String(), streamed(t, fk, "json", 0))
	assert.Equal(t, "[]\n", streamed(t, manyRuns(0), "json", 0), "no rows: an empty array")
	var limited []data.Row
	require.NoError(t, json.Unmarshal([]byte(streamed(t, fk, "json", 10)), &limited))
	assert.Len(t, limited, 10)
}

func TestLsJSONLinesAndTableStreamPageByPage(t *testing.T) {
	fk := manyRuns(30)
	lines := strings.Split(strings.TrimSpace(streamed(t, fk, "jsonl", 0)), "\n")
	require.Len(t, lines, 30)
	var r data.Row
	require.NoError(t, json.Unmarshal([]byte(lines[29]), &r))
	assert.Equal(t, "wf-029", r.WorkflowID)

	fk = manyRuns(30)
	table := streamed(t, fk, "table", 0)
	assert.Equal(t, 1, strings.Count(table, "ID  "), "one header")
	assert.Equal(t, 31, strings.Count(table, "\n"))
	assert.Len(t, fk.CallsWith("list"), 5, "30 rows in pages of 7")
}

func TestJSONLinesIsForLsOnly(t *testing.T) {
	_, _, err := runCLI(t, "-o", "jsonl", "version")
	assert.ErrorContains(t, err, "only ls")
	_, _, err = runCLI(t, "-o", "yaml", "version")
	assert.ErrorContains(t, err, "expected table, json or jsonl")
}
