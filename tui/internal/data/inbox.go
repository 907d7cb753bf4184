package data

import (
	"context"
	"errors"

	"github.com/matih/ops/shared/status"
	"github.com/matih/ops/tui/internal/inbox"
)

// MaxInbox bounds the approvals inbox: each run costs one status read.
const MaxInbox = 200

// Waiting is one run of the approvals inbox: what an approver decides on.
type Waiting = inbox.Waiting

// FailingCheck names a failed quality check and how much of the data failed it.
type FailingCheck = inbox.FailingCheck

// Inbox lists the runs waiting for a human decision, soonest deadline first, with
// each one's evidence (see inbox.Build). truncated says there were more than
// MaxInbox.
func Inbox(ctx context.Context, src Source) (runs []Waiting, truncated bool, err error) {
	return inbox.Build(ctx, inboxSource{src}, MaxInbox)
}

// inboxSource reads the inbox through the console's data source.
type inboxSource struct{ src Source }

func (s inboxSource) Awaiting(ctx context.Context, size int, token []byte) ([]inbox.Candidate, []byte, error) {
	page, err := s.src.List(ctx, Tabs[1].Query, size, token)
	if err != nil {
		return nil, nil, err
	}
	out := make([]inbox.Candidate, len(page.Rows))
	for i, r := range page.Rows {
		out[i] = r.Candidate()
	}
	return out, page.NextToken, nil
}

func (s inboxSource) Status(ctx context.Context, workflowID, runID string) (status.Document, error) {
	return s.src.Status(ctx, workflowID, runID)
}

func (s inboxSource) Gone(err error) bool { return errors.Is(err, ErrNotFound) }
