package console

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/hostiletest"
)

// TestHostileTextInEveryFieldNeverReachesTheScreen poisons every string of the
// list rows and of the status document, then draws the list and the detail view.
func TestHostileTextInEveryFieldNeverReachesTheScreen(t *testing.T) {
	fk := demoFake()
	doc := fk.Docs[waitingID]
	hostiletest.Poison(&doc)
	for i := range fk.Rows {
		hostiletest.Poison(&fk.Rows[i])
	}
	fk.Docs = map[string]status.Document{fk.Rows[0].WorkflowID: doc}
	m, _ := newTestModel(t, fk, nil)
	press(m, "shift+tab") // the "all" tab: poisoned statuses fit no other
	require.Contains(t, m.View(), "pipeline-s", "the list drew the rows")
	require.NoError(t, hostiletest.Unclean(m.View()), "list")
	press(m, "enter")
	require.Contains(t, m.View(), "not_null_region", "the detail view drew the document")
	require.NoError(t, hostiletest.Unclean(m.View()), "detail")
}
