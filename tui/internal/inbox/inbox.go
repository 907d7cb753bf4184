// Package inbox builds the approvals inbox, the runs waiting for a human decision
// with the evidence to decide on: one builder for the console, `matih approvals`
// and the API's GET /v1/approvals, so all three list the same runs in one order.
package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// Reads is how many status documents are read at once: each is a describe, a
// history read and a query on the server the workers share.
const Reads = 8

// Candidate is a run visibility lists as awaiting approval.
type Candidate struct {
	WorkflowID, RunID, Type string
	StartedAt               time.Time
	QualityScore            *float64
}

// Source is what the builder reads: the runs visibility lists as awaiting
// approval, page by page, and each run's status document.
type Source interface {
	Awaiting(ctx context.Context, pageSize int, token []byte) (runs []Candidate, next []byte, err error)
	Status(ctx context.Context, workflowID, runID string) (status.Document, error)
	// Gone tells whether a Status error means the run no longer exists.
	Gone(err error) bool
}

// Waiting is one run of the inbox: what an approver decides on.
type Waiting struct {
	WorkflowID   string    `json:"workflowId"`
	RunID        string    `json:"runId"`
	Type         string    `json:"type"`
	StartedAt    time.Time `json:"startedAt"`
	Deadline     time.Time `json:"deadline"`
	MinScore     float64   `json:"minScore"`
	QualityScore *float64  `json:"qualityScore,omitempty"`
	// FirstFailing is the first check that failed, the likeliest reason to reject.
	FirstFailing *FailingCheck `json:"firstFailingCheck,omitempty"`
	// Doc is the run's whole status document, the evidence beside the list.
	Doc status.Document `json:"-"`
}

// GateKnown tells whether the workflow answered with its gate: the deadline and
// the minimum score. Without an answer, history says only that the run waits.
func (w Waiting) GateKnown() bool { return w.Doc.Approval != nil }

// GateText is the time left and the minimum score as the inbox shows them, "?"
// for both when the gate is unknown.
func (w Waiting) GateText(now time.Time) (left, minScore string) {
	if !w.GateKnown() {
		return "?", "?"
	}
	return status.FormatDuration(max(0, w.Deadline.Sub(now))), fmt.Sprintf("%.2f", w.MinScore)
}

// MarshalJSON leaves deadline and minScore out when the gate is unknown, as
// GET /v1/approvals does, rather than writing a zero time and a zero minimum.
func (w Waiting) MarshalJSON() ([]byte, error) {
	type fields Waiting // without this method
	out := struct {
		fields
		Deadline *time.Time `json:"deadline,omitempty"`
		MinScore *float64   `json:"minScore,omitempty"`
	}{fields: fields(w)}
	if w.GateKnown() {
		out.Deadline, out.MinScore = &w.Deadline, &w.MinScore
	}
	return json.Marshal(out)
}

// FailingCheck names a failed quality check and how much of the data failed it.
type FailingCheck struct {
	Name       string  `json:"name"`
	FailedRows int64   `json:"failedRows"`
	TotalRows  int64   `json:"totalRows"`
	Ratio      float64 `json:"failedRatio"`
}

// Build lists the runs waiting for a decision, soonest deadline first, with each
// one's evidence read from its status document. A run decided, closed or deleted
// since the list was read is left out. At most max runs are read; truncated says
// there were more.
func Build(ctx context.Context, src Source, max int) (runs []Waiting, truncated bool, err error) {
	rows, truncated, err := candidates(ctx, src, max)
	if err != nil {
		return nil, false, err
	}
	found := make([]*Waiting, len(rows))
	var g errgroup.Group
	g.SetLimit(Reads)
	for i, r := range rows {
		g.Go(func() error {
			doc, err := src.Status(ctx, r.WorkflowID, r.RunID)
			if err != nil {
				if src.Gone(err) {
					return nil
				}
				return err
			}
			found[i] = waitingOf(r, doc)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, false, err
	}
	runs = []Waiting{}
	for _, w := range found {
		if w != nil {
			runs = append(runs, *w)
		}
	}
	sort.SliceStable(runs, func(i, j int) bool {
		if !runs[i].Deadline.Equal(runs[j].Deadline) {
			return runs[i].Deadline.Before(runs[j].Deadline)
		}
		return runs[i].WorkflowID < runs[j].WorkflowID
	})
	return runs, truncated, nil
}

// candidates reads the awaiting runs, at most max of them.
func candidates(ctx context.Context, src Source, max int) ([]Candidate, bool, error) {
	var rows []Candidate
	var token []byte
	for {
		page, next, err := src.Awaiting(ctx, min(max+1, 1000), token)
		if err != nil {
			return nil, false, err
		}
		rows = append(rows, page...)
		token = next
		switch {
		case len(rows) > max:
			return rows[:max], true, nil
		case len(token) == 0:
			return rows, false, nil
		case len(rows) == max:
			return rows, true, nil
		}
	}
}

// waitingOf is the inbox entry of a run still waiting, nil otherwise. A run whose
// workflow did not answer its status query (no worker polls, or the server is
// failing over) has no gate in its document, only the phase history gives: it is
// listed with its deadline unknown (zero, so first), never left out, since an
// inbox that drops a waiting run reads as "nothing waits".
func waitingOf(r Candidate, doc status.Document) *Waiting {
	ap := doc.Approval
	if (ap != nil && ap.Decided) || doc.Status != status.WorkflowRunning || doc.Phase != contract.PhaseAwaitingApproval {
		return nil
	}
	w := &Waiting{WorkflowID: r.WorkflowID, RunID: doc.RunID, Type: r.Type, StartedAt: r.StartedAt,
		QualityScore: r.QualityScore, Doc: doc}
	if ap != nil {
		w.Deadline, w.MinScore = ap.Deadline, ap.MinScore
	}
	if w.RunID == "" {
		w.RunID = r.RunID
	}
	if q := doc.Quality; q != nil {
		score := q.Score
		w.QualityScore = &score
		w.FirstFailing = firstFailing(q.Checks)
	}
	return w
}

func firstFailing(checks []contract.CheckResult) *FailingCheck {
	for _, c := range checks {
		if !c.Passed {
			fc := &FailingCheck{Name: c.Name, FailedRows: c.FailedRows, TotalRows: c.TotalRows}
			if c.TotalRows > 0 {
				fc.Ratio = float64(c.FailedRows) / float64(c.TotalRows)
			}
			return fc
		}
	}
	return nil
}
