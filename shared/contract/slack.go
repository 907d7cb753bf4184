package contract

import "strings"

// Names on the wire between the interactive Slack alert worker-notify posts and the
// interactions `matih serve` receives (POST /v1/slack/interactions).
const (
	// SlackActionApprove and SlackActionReject are the alert's buttons; their value
	// is the workflow id.
	SlackActionApprove = "matih_approve"
	SlackActionReject  = "matih_reject"
	// SlackActionOpen is the link button to the run in the Web UI.
	SlackActionOpen = "matih_open"
	// SlackDecisionCallback is the callback id of the modal that asks for the reason.
	SlackDecisionCallback = "matih_decision"
	// SlackReasonBlock and SlackReasonAction name the modal's reason input.
	SlackReasonBlock  = "reason"
	SlackReasonAction = "reason_input"
	// SlackEventApproval is the metadata event type of an approval alert; its
	// payload's workflow_id finds the message again when the run is decided.
	SlackEventApproval = "matih_approval"
)

// SlackApprover is the approver recorded for a decision made in Slack: the identity
// the server mapped the Slack user to, and the Slack user id.
func SlackApprover(identity, slackUser string) string {
	return identity + " (slack " + slackUser + ")"
}

// ApproverPerson is the identity an approver string names: SlackApprover's suffix
// says where the decision came from, not who made it, so approvers and four-eyes
// compare the person.
func ApproverPerson(approver string) string {
	if i := strings.LastIndex(approver, " (slack "); i > 0 && strings.HasSuffix(approver, ")") {
		return approver[:i]
	}
	return approver
}
