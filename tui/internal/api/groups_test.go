package api

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

func groupsFile(t *testing.T, body string) string {
	path := filepath.Join(t.TempDir(), "groups.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestApproverGroupsBecomeTheirMembersAtStart(t *testing.T) {
	g, err := LoadGroups(groupsFile(t, "groups:\n  data-oncall: [ana@matih, bob@matih]\n  leads: [bob@matih, cy@matih]\n"))
	require.NoError(t, err)
	got, err := g.Expand([]string{"group:data-oncall", "dee@matih", "group:leads"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ana@matih", "bob@matih", "dee@matih", "cy@matih"}, got, "each person once, in order")

	_, err = g.Expand([]string{"ana@matih", "group:nobody"})
	assert.ErrorContains(t, err, "approvers[1]")
	assert.ErrorContains(t, err, "group:nobody is not a group")
	_, err = Groups(nil).Expand([]string{"group:data-oncall"})
	assert.ErrorContains(t, err, "no groups file (--groups or MATIH_GROUPS)")
	plain, err := Groups(nil).Expand([]string{"ana@matih"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ana@matih"}, plain)
}

func TestTheGroupsFileIsChecked(t *testing.T) {
	for body, want := range map[string]string{
		"groups:\n  oncall: []\n":                  "needs at least one member",
		"groups:\n  oncall: [group:leads]\n":       "groups do not nest",
		"groups:\n  'on call': [ana]\n":            "expected a name",
		"groups:\n  oncall: [ana]\nmembers: [x]\n": "field members not found",
	} {
		_, err := LoadGroups(groupsFile(t, body))
		assert.ErrorContains(t, err, want, body)
	}
}

// An execute names the people of the definition's groups in the run's input; a
// group the server does not know refuses the start, naming the field.
func TestAnExecuteExpandsTheApproverGroups(t *testing.T) {
	g, err := LoadGroups(groupsFile(t, "groups:\n  data-oncall: [ana@matih, bob@matih]\n"))
	require.NoError(t, err)
	h := &harness{be: newFake(), audit: &memAudit{}, now: time.Date(2026, 2, 12, 3, 4, 5, 0, time.UTC)}
	withGroup := lowQuality
	withGroup.Approvers = []string{"group:data-oncall"}
	unknown := lowQuality
	unknown.Approvers = []string{"group:ghosts"}
	h.srv = New(Options{Backend: h.be, Tokens: testTokens(t), Auditor: h.audit, Groups: g,
		Pipelines: fakePipelines{"orders-low-quality": withGroup, "orders-ghosts": unknown}, Now: func() time.Time { return h.now }})

	w := h.do("POST", executePath, operateToken, "")
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	a := decode[startAnswer](t, w)
	assert.Equal(t, []string{"ana@matih", "bob@matih"}, h.be.started[a.WorkflowID].Input.(contract.PipelineConfig).Approvers)

	w = h.do("POST", "/v1/pipelines/orders-ghosts/execute", operateToken, "")
	assertError(t, w, CodeBadRequest, "approvers[0]")
	assert.Equal(t, 1, h.be.starts, "the refused start started nothing")
}
