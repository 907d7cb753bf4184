package slackbot

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/slackmsg"
	"github.com/matih/ops/worker-notify/internal/channel"
)

// maxChecks is how many failing checks the alert lists.
const maxChecks = 8

// approvalBlocks is the interactive alert: the run, its score against the minimum,
// the time left, each failing check with its failed-row ratio (never a sample
// value: those may be personal data), and Approve, Reject and Open.
func approvalBlocks(m channel.Message, n contract.QualityIssueNotification, now time.Time, webUI string) []slack.Block {
	esc := slackmsg.Escape
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType,
		slackmsg.Truncate(":warning: Pipeline "+n.PipelineID+" needs an approval decision", 150), true, false))
	facts := []string{
		fmt.Sprintf("*Run* `%s`", esc(n.WorkflowID)),
		fmt.Sprintf("*Quality* %.3f, below the minimum %.3f", n.Score, n.MinScore),
	}
	if !n.ApprovalDeadline.IsZero() {
		left := n.ApprovalDeadline.Sub(now).Round(time.Minute)
		facts = append(facts, fmt.Sprintf("*Decide within* %s (until %s); then the run is rejected",
			left, n.ApprovalDeadline.UTC().Format("15:04 UTC")))
	}
	blocks := []slack.Block{header, section(strings.Join(facts, "\n"))}
	if checks := checkLines(n.FailingChecks); checks != "" {
		blocks = append(blocks, section("*Failing checks*\n"+checks))
	}
	approve := slack.NewButtonBlockElement(contract.SlackActionApprove, n.WorkflowID, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))
	approve.Style = slack.StylePrimary
	reject := slack.NewButtonBlockElement(contract.SlackActionReject, n.WorkflowID, slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false))
	reject.Style = slack.StyleDanger
	elems := []slack.BlockElement{approve, reject}
	if webUI != "" {
		open := slack.NewButtonBlockElement(contract.SlackActionOpen, n.WorkflowID, slack.NewTextBlockObject(slack.PlainTextType, "Open", false, false))
		open.URL = strings.TrimSuffix(webUI, "/") + "/workflows/" + url.PathEscape(n.WorkflowID)
		elems = append(elems, open)
	}
	blocks = append(blocks, slack.NewActionBlock("decision", elems...),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
			"Or in the console: `"+esc(m.ConsoleCommand())+"`", false, false)))
	return blocks
}

func checkLines(checks []contract.CheckResult) string {
	var lines []string
	for i, c := range checks {
		if i == maxChecks {
			lines = append(lines, fmt.Sprintf("… and %d more", len(checks)-maxChecks))
			break
		}
		name := c.Name
		if name == "" {
			name = c.Type
		}
		ratio := "no rows"
		if c.TotalRows > 0 {
			ratio = fmt.Sprintf("%.1f%% of %d rows failed", 100*float64(c.FailedRows)/float64(c.TotalRows), c.TotalRows)
		}
		lines = append(lines, "• "+slackmsg.Escape(name)+": "+ratio)
	}
	return strings.Join(lines, "\n")
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, slackmsg.Truncate(text, 3000), false, false), nil, nil)
}

// fallback is the notification text phones show.
func fallback(m channel.Message, n contract.QualityIssueNotification) string {
	return fmt.Sprintf("Pipeline %s needs an approval decision: quality %.3f < %.3f (%s)", n.PipelineID, n.Score, n.MinScore, m.ConsoleCommand())
}
