// Package slackmsg renders the outcome of an approval alert: what the message in
// the channel becomes once the run is decided, whoever decided it and from where
// (a Slack click through matih serve, or the follow-up worker-notify sends for a
// decision made anywhere else). One rendering, so both writers agree.
package slackmsg

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/matih/ops/shared/contract"
)

// OutcomeText is the plain-text fallback of the outcome.
func OutcomeText(pipelineID, decision, approver string) string {
	s := "Quality gate " + decisionWord(decision)
	if pipelineID != "" {
		s = fmt.Sprintf("Pipeline %s: quality gate %s", pipelineID, decisionWord(decision))
	}
	if approver != "" {
		s += " by " + approver
	}
	return s
}

// OutcomeBlocks is the decided alert: who, when and why, and no buttons.
func OutcomeBlocks(pipelineID, workflowID, decision, approver, reason string, at time.Time) []slack.Block {
	icon := ":white_check_mark:"
	if decision != contract.DecisionApproved {
		icon = ":no_entry:"
	}
	head := fmt.Sprintf("%s *%s*", icon, Escape(OutcomeText(pipelineID, decision, approver)))
	lines := []string{head, fmt.Sprintf("Run `%s`, decided %s", Escape(workflowID), at.UTC().Format("2006-01-02 15:04 UTC"))}
	if reason != "" {
		lines = append(lines, "> "+Escape(Truncate(reason, 1500)))
	}
	return []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Join(lines, "\n"), false, false), nil, nil)}
}

func decisionWord(d string) string {
	switch d {
	case contract.DecisionApproved:
		return "approved"
	case contract.DecisionRejected:
		return "rejected"
	}
	return "closed"
}

// Escape applies Slack's mrkdwn escaping of &, < and >.
func Escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Truncate cuts s to n runes, with an ellipsis.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
