package console

import (
	"os"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// closedBackfill is a backfill that ended with failed and never-run partitions.
func closedBackfill(total, done, failed int) status.Document {
	doc := backfillDoc(total, done, failed, 0)
	doc.Status, doc.Phase = status.WorkflowFailed, contract.PhaseFailed
	return doc
}

// R on a closed backfill previews what a rerun takes, then starts a new run of the
// backfill's own input, without its carried state, with the previewed reprocess
// mode, as the console's identity, audited; a running backfill offers none.
func TestTheGridRerunsWhatABackfillLeftUndone(t *testing.T) {
	fk := gridFake(closedBackfill(30, 20, 6))
	fk.BackfillInputs = map[string]contract.BackfillConfig{gridID: {PipelineID: "orders", Source: contract.SourceConfig{Connection: "demo", Table: "orders"},
		PartitionColumn: "created_at", StartDate: "2026-01-01", EndDate: "2026-01-31", PartitionSize: "day",
		Destination: contract.DestinationConfig{Table: "demo.orders"}, Carry: &contract.BackfillCarry{Runs: 3}}}
	m, auditPath := newTestModel(t, fk, nil)
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	require.Equal(t, viewBackfill, topName(m))
	assert.Contains(t, m.View(), "R rerun failed")

	press(m, "R")
	screen := m.View()
	assert.Contains(t, screen, "Rerun what this backfill left undone")
	assert.Contains(t, strings.Join(strings.Fields(screen), " "), "reprocess: missing")
	assert.Contains(t, strings.Join(strings.Fields(screen), " "), "6 failed and 4 never run")
	press(m, "enter")
	require.Len(t, fk.Started, 1)
	req := fk.Started[0]
	assert.Equal(t, contract.DataBackfillWorkflow, req.WorkflowType)
	assert.NotEqual(t, gridID, req.WorkflowID, "a new run, under a new id")
	cfg, ok := req.Input.(contract.BackfillConfig)
	require.True(t, ok)
	assert.Equal(t, contract.ReprocessMissing, cfg.Reprocess, "never-run partitions too: missing takes failed and never run")
	assert.Nil(t, cfg.Carry, "what the old chain carried stays with it")
	assert.Equal(t, "demo.orders", cfg.Destination.Table)
	assert.Contains(t, m.View(), "rerun started: "+req.WorkflowID)
	logged, err := os.ReadFile(auditPath)
	require.NoError(t, err)
	assert.Contains(t, string(logged), `"action":"rerun"`)

	// Every partition ran: the rerun takes the failed ones only.
	only := gridFake(closedBackfill(30, 24, 6))
	only.BackfillInputs = fk.BackfillInputs
	m, _ = newTestModel(t, only, nil)
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	press(m, "R", "enter")
	require.Len(t, only.Started, 1)
	assert.Equal(t, contract.ReprocessFailed, only.Started[0].Input.(contract.BackfillConfig).Reprocess)

	done := gridFake(closedBackfill(30, 30, 0))
	m, _ = newTestModel(t, done, nil)
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	press(m, "R")
	assert.Contains(t, m.View(), "nothing to rerun: every partition is done or skipped")
	assert.Empty(t, done.Started)

	running := gridFake(backfillDoc(30, 20, 2, 3))
	m, _ = newTestModel(t, running, nil)
	send(m, tea.KeyMsg{Type: tea.KeyEnter})
	press(m, "R")
	assert.Contains(t, m.View(), "still running: R reruns what a backfill left undone once it has ended")
	assert.Empty(t, running.Started)
}
