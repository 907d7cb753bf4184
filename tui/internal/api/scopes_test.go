package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

const (
	executeOnly = "exec-secret-1"
	approver    = "approve-secret-1"
	overrider   = "override-secret-1"
)

func scopedHarness(t *testing.T) *harness {
	ts, err := ParseTokens([]byte("tokens:\n" +
		"  - {name: pipeline-service, scopes: [execute], sha256: " + Digest(executeOnly) + "}\n" +
		"  - {name: ana@matih, scopes: [read, approve], sha256: " + Digest(approver) + "}\n" +
		"  - {name: lead, scopes: [execute, override-quality], sha256: " + Digest(overrider) + "}\n" +
		"  - {name: ops, role: operate, sha256: " + Digest(operateToken) + "}\n"))
	require.NoError(t, err)
	return newHarness(t, ts)
}

// Each token does what its scopes say and nothing else.
func TestScopesBoundWhatEachTokenDoes(t *testing.T) {
	h := scopedHarness(t)
	assert.Equal(t, http.StatusAccepted, h.do("POST", executePath, executeOnly, "").Code, "execute starts a pipeline")
	w := h.do("POST", PathMigration, executeOnly, `{}`)
	assert.Equal(t, http.StatusForbidden, w.Code, "execute does not migrate")
	assert.Contains(t, w.Body.String(), "this route needs migrate")
	assert.Equal(t, http.StatusForbidden, h.do("GET", PathWorkflows, executeOnly, "").Code, "execute does not read")

	h.be.await("wf-1", h.now)
	w = h.do("POST", "/v1/pipelines/workflows/wf-1/signal", approver, `{"name":"cancel","data":{"reason":"no"}}`)
	assert.Equal(t, http.StatusForbidden, w.Code, "approve does not cancel")
	assert.Contains(t, w.Body.String(), "a cancel signal needs cancel")
	w = h.do("POST", "/v1/pipelines/workflows/wf-1/signal", approver, `{"name":"approval","data":{"approved":true,"reason":"ok"}}`)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())

	lower := `{"min_quality_score": 0.1}`
	assert.Equal(t, http.StatusBadRequest, h.do("POST", executePath, operateToken, lower).Code, "operate does not lower the bar")
	h.now = h.now.Add(time.Second) // a new workflow id
	w = h.do("POST", executePath, overrider, lower)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	a := decode[startAnswer](t, w)
	assert.Equal(t, 0.1, h.be.started[a.WorkflowID].Input.(contract.PipelineConfig).MinQualityScore)
}

// A notification delivery is never cancelled through the API: it would silence a page.
func TestADeliveryCannotBeCancelled(t *testing.T) {
	h := scopedHarness(t)
	id := contract.DeliveryWorkflowID("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 2)
	w := h.do("POST", "/v1/pipelines/workflows/"+id+"/signal", operateToken, `{"name":"cancel","data":{"reason":"quiet"}}`)
	assert.Equal(t, http.StatusForbidden, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), "notification deliveries are not cancelled")
}

func TestTokensFileScopesAreChecked(t *testing.T) {
	for body, want := range map[string]string{
		"tokens: [{name: a, scopes: [root], sha256: " + Digest("x") + "}]": "scopes[0]: expected one of read, execute",
		"tokens: [{name: a, sha256: " + Digest("x") + "}]":                 "no role and no scopes",
		"tokens: [{name: a, role: admin, sha256: " + Digest("x") + "}]":    "role: expected read or operate",
	} {
		_, err := ParseTokens([]byte(body))
		assert.ErrorContains(t, err, want, body)
	}
}

// Every route names its scope in the OpenAPI document, as the server enforces it.
func TestOpenAPINamesEachRoutesScope(t *testing.T) {
	h := newHarness(t, testTokens(t))
	var doc struct {
		Paths map[string]map[string]struct {
			Scope string `json:"x-scope"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(h.do("GET", PathOpenAPI, "", "").Body.Bytes(), &doc))
	for _, rt := range h.srv.Routes() {
		op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		assert.Equal(t, string(rt.Need), op.Scope, "%s %s", rt.Method, rt.Path)
	}
}
