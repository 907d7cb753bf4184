package data

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/status"
)

// MaxInbox bounds the approvals inbox: each run costs one status read.
const MaxInbox = 200

// Waiting is one run of the approvals inbox: what an approver decides on.
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

// FailingCheck names a failed quality check and how much of the data failed it.
type FailingCheck struct {
	Name       string  `json:"name"`
	FailedRows int64   `json:"failedRows"`
	TotalRows  int64   `json:"totalRows"`
	Ratio      float64 `json:"failedRatio"`
}

// Inbox lists the runs waiting for a human decision, soonest deadline first, with
// each one's evidence read from its status document (eight reads at a time). A run
// decided or closed since the list was read is left out. truncated says there were
// more than MaxInbox.
func Inbox(ctx context.Context, src Source) (runs []Waiting, truncated bool, err error) {
	page, err := src.List(ctx, Tabs[1].Query, MaxInbox+1, nil)
	if err != nil {
		return nil, false, err
	}
	rows := page.Rows
	if len(rows) > MaxInbox || page.NextToken != nil {
		rows, truncated = rows[:min(len(rows), MaxInbox)], true
	}
	found := make([]*Waiting, len(rows))
	errs := make([]error, len(rows))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, r := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			doc, err := src.Status(ctx, r.WorkflowID, r.RunID)
			if err != nil {
				errs[i] = err
				return
			}
			found[i] = waitingOf(r, doc)
		}()
	}
	wg.Wait()
	for i, w := range found {
		if errs[i] != nil && !errors.Is(errs[i], ErrNotFound) {
			return nil, false, errs[i]
		}
		if w != nil {
			runs = append(runs, *w)
		}
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Deadline.Before(runs[j].Deadline) })
	return runs, truncated, nil
}

// waitingOf is the inbox entry of a run still waiting, nil otherwise.
func waitingOf(r Row, doc status.Document) *Waiting {
	ap := doc.Approval
	if ap == nil || ap.Decided || doc.Status != status.WorkflowRunning || doc.Phase != contract.PhaseAwaitingApproval {
		return nil
	}
	w := &Waiting{WorkflowID: r.WorkflowID, RunID: doc.RunID, Type: r.Type, StartedAt: r.StartedAt,
		Deadline: ap.Deadline, MinScore: ap.MinScore, QualityScore: r.QualityScore, Doc: doc}
	if q := doc.Quality; q != nil {
		score := q.Score
		w.QualityScore = &score
		for _, c := range q.Checks {
			if !c.Passed {
				fc := &FailingCheck{Name: c.Name, FailedRows: c.FailedRows, TotalRows: c.TotalRows}
				if c.TotalRows > 0 {
					fc.Ratio = float64(c.FailedRows) / float64(c.TotalRows)
				}
				w.FirstFailing = fc
				break
			}
		}
	}
	return w
}
