package contract

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestASlackDecisionIsJudgedByThePerson(t *testing.T) {
	who := SlackApprover("ana@matih", "U0123")
	assert.Equal(t, "ana@matih (slack U0123)", who)
	assert.Equal(t, "ana@matih", ApproverPerson(who))
	assert.Equal(t, "bob (ops)", ApproverPerson("bob (ops)"), "only the Slack suffix is taken off")

	cfg := PipelineConfig{Approvers: []string{"ana@matih"}, FourEyes: true, StartedBy: "bob@matih"}
	assert.NoError(t, cfg.DecisionAllowed(who))
	assert.ErrorContains(t, cfg.DecisionAllowed(SlackApprover("eve@matih", "U0999")), "eve@matih may not decide")
	cfg.Approvers = nil
	assert.ErrorContains(t, cfg.DecisionAllowed(SlackApprover("bob@matih", "U0456")), "four eyes: bob@matih started this run")
}
