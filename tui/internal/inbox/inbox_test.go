package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

var errGone = errors.New("gone")

// source lists ids in pages of its own size and answers a document per id.
type source struct {
	ids   []string
	docs  map[string]status.Document
	pages int
}

func (s *source) Awaiting(_ context.Context, size int, token []byte) ([]Candidate, []byte, error) {
	s.pages++
	from := len(token)
	to := min(from+size, len(s.ids))
	var out []Candidate
	for _, id := range s.ids[from:to] {
		out = append(out, Candidate{WorkflowID: id, RunID: "r-" + id})
	}
	if to == len(s.ids) {
		return out, nil, nil
	}
	return out, make([]byte, to), nil
}

func (s *source) Status(_ context.Context, id, _ string) (status.Document, error) {
	d, ok := s.docs[id]
	if !ok {
		return d, errGone
	}
	return d, nil
}

func (s *source) Gone(err error) bool { return errors.Is(err, errGone) }

func waiting(deadline time.Time, checks ...contract.CheckResult) status.Document {
	return status.Document{Status: status.WorkflowRunning, Phase: contract.PhaseAwaitingApproval,
		Approval: &status.Approval{Deadline: deadline, MinScore: 0.9}, Quality: &contract.QualityResult{Score: 0.5, Checks: checks}}
}

func TestTheInboxListsWaitingRunsSoonestDeadlineFirst(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	decided := waiting(t0)
	decided.Approval.Decided = true
	src := &source{ids: []string{"late", "b-tie", "a-tie", "decided", "deleted"}, docs: map[string]status.Document{
		"late":    waiting(t0.Add(2 * time.Hour)),
		"b-tie":   waiting(t0.Add(time.Hour)),
		"a-tie":   waiting(t0.Add(time.Hour), contract.CheckResult{Name: "ok", Passed: true}, contract.CheckResult{Name: "nulls", FailedRows: 25, TotalRows: 100}),
		"decided": decided,
	}}
	runs, truncated, err := Build(context.Background(), src, 10)
	require.NoError(t, err)
	assert.False(t, truncated)
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.WorkflowID)
	}
	assert.Equal(t, []string{"a-tie", "b-tie", "late"}, ids, "decided and deleted runs are left out; a tie goes by id")
	require.NotNil(t, runs[0].FirstFailing)
	assert.Equal(t, FailingCheck{Name: "nulls", FailedRows: 25, TotalRows: 100, Ratio: 0.25}, *runs[0].FirstFailing)
	assert.Equal(t, 0.5, *runs[0].QualityScore, "the score from the run's own document")
}

func TestTheInboxReadsAtMostMaxRuns(t *testing.T) {
	src := &source{docs: map[string]status.Document{}}
	for i := range 30 {
		id := fmt.Sprintf("w%02d", i)
		src.ids = append(src.ids, id)
		src.docs[id] = waiting(time.Unix(int64(i), 0))
	}
	runs, truncated, err := Build(context.Background(), src, 12)
	require.NoError(t, err)
	assert.True(t, truncated)
	assert.Len(t, runs, 12)
	assert.Equal(t, "w00", runs[0].WorkflowID)
}

func TestAStatusErrorOtherThanGoneFailsTheInbox(t *testing.T) {
	src := &source{ids: []string{"x"}, docs: map[string]status.Document{}}
	boom := &failing{source: src}
	_, _, err := Build(context.Background(), boom, 10)
	require.ErrorContains(t, err, "server unavailable")
}

type failing struct{ *source }

func (f *failing) Status(context.Context, string, string) (status.Document, error) {
	return status.Document{}, errors.New("server unavailable")
}

// A run whose workflow did not answer its status query (its worker gone, or the
// server failing over) has only history's view: the phase, no gate. It stays in
// the inbox, first, with its deadline unknown; left out, the inbox would read
// "nothing waits" until the query answers again.
func TestARunWhoseQueryDidNotAnswerStaysInTheInbox(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	historyOnly := status.Document{Status: status.WorkflowRunning, Phase: contract.PhaseAwaitingApproval}
	moved := status.Document{Status: status.WorkflowRunning, Phase: contract.PhaseLoading}
	src := &source{ids: []string{"answered", "unanswered", "moved-on"}, docs: map[string]status.Document{
		"answered": waiting(t0), "unanswered": historyOnly, "moved-on": moved,
	}}
	runs, _, err := Build(context.Background(), src, 10)
	require.NoError(t, err)
	require.Len(t, runs, 2, "a run past the gate is still left out")
	assert.Equal(t, "unanswered", runs[0].WorkflowID)
	assert.True(t, runs[0].Deadline.IsZero(), "its deadline is unknown")
	assert.Equal(t, "answered", runs[1].WorkflowID)

	unknown, err := json.Marshal(runs[0])
	require.NoError(t, err)
	assert.NotContains(t, string(unknown), "deadline", "no zero time is written for an unknown gate")
	assert.NotContains(t, string(unknown), "minScore")
	known, err := json.Marshal(runs[1])
	require.NoError(t, err)
	var back Waiting
	require.NoError(t, json.Unmarshal(known, &back))
	assert.True(t, back.Deadline.Equal(t0))
	assert.Equal(t, 0.9, back.MinScore)
	assert.Equal(t, "answered", back.WorkflowID)
}
