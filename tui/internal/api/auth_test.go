package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const approveBody = `{"name":"approval","data":{"approved":true,"reason":"known upstream gap","approver":"mallory"}}`

func TestAuthByRole(t *testing.T) {
	h := newHarness(t, testTokens(t))
	h.be.await("wf-1", h.now)

	w := h.do("GET", "/v1/pipelines/workflows/wf-1/status", "", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, `Bearer realm="matih"`, w.Header().Get("WWW-Authenticate"))
	assertError(t, w, CodeUnauthorized, "")

	w = h.do("GET", "/v1/pipelines/workflows/wf-1/status", "not-a-token", "")
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	w = h.do("GET", "/v1/pipelines/workflows/wf-1/status", "", "", "Authorization", "Basic "+readToken)
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	assert.Equal(t, http.StatusOK, h.do("GET", "/v1/pipelines/workflows/wf-1/status", readToken, "").Code)
	assert.Equal(t, http.StatusOK, h.do("GET", "/v1/pipelines/workflows/wf-1/status", operateToken, "").Code)

	w = h.do("POST", "/v1/pipelines/workflows/wf-1/signal", readToken, approveBody)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assertError(t, w, CodeForbidden, "")
	assert.Equal(t, "dashboard", h.audit.last().Identity, "a refused mutation is audited too")
	assert.Error(t, h.audit.last().Err)

	w = h.do("POST", "/v1/pipelines/workflows/wf-1/signal", "", approveBody)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, "unauthenticated", h.audit.last().Identity)

	w = h.do("POST", "/v1/pipelines/workflows/wf-1/signal", operateToken, approveBody)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.JSONEq(t, `{"workflowId":"wf-1","name":"approval","approved":true,"approver":"pipeline-service"}`, w.Body.String())

	// Unauthenticated operational routes stay open for probes and scrapers.
	for _, p := range []string{"/healthz", "/readyz", "/metrics", PathOpenAPI} {
		assert.Equal(t, http.StatusOK, h.do("GET", p, "", "").Code, p)
	}
}

func TestWithoutTokensGETOnly(t *testing.T) {
	h := newHarness(t, nil)
	h.be.await("wf-1", h.now)
	assert.Equal(t, http.StatusOK, h.do("GET", "/v1/pipelines/workflows/wf-1/status", "", "").Code)
	assert.Equal(t, http.StatusOK, h.do("GET", "/v1/approvals", "", "").Code)
	w := h.do("POST", "/v1/pipelines/workflows/wf-1/signal", "", approveBody)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assertError(t, w, CodeForbidden, "")
	assert.Contains(t, w.Body.String(), "--tokens")
	assert.Equal(t, http.StatusForbidden, h.do("POST", "/v1/pipelines/orders-low-quality/execute", "", "").Code)
	assert.False(t, h.srv.Mutating())
	assert.Zero(t, h.be.starts)
}

func TestReadOnlyRefusesOperate(t *testing.T) {
	be := newFake()
	srv := New(Options{Backend: be, Tokens: testTokens(t), ReadOnly: true})
	h := &harness{srv: srv, be: be}
	w := h.do("POST", "/v1/pipelines/orders-low-quality/execute", operateToken, "")
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Contains(t, w.Body.String(), "read-only")
}

func TestParseTokens(t *testing.T) {
	good := "tokens:\n  - {name: a, role: read, sha256: " + Digest("x") + "}\n"
	_, err := ParseTokens([]byte(good))
	require.NoError(t, err)
	for name, bad := range map[string]string{
		"empty":         "tokens: []\n",
		"unknown field": "tokens:\n  - {name: a, role: read, token: x, sha256: " + Digest("x") + "}\n",
		"role":          "tokens:\n  - {name: a, role: admin, sha256: " + Digest("x") + "}\n",
		"digest":        "tokens:\n  - {name: a, role: read, sha256: abc}\n",
		"name":          "tokens:\n  - {name: \"a b\", role: read, sha256: " + Digest("x") + "}\n",
		"twice":         "tokens:\n  - {name: a, role: read, sha256: " + Digest("x") + "}\n  - {name: b, role: read, sha256: " + Digest("x") + "}\n",
	} {
		_, err := ParseTokens([]byte(bad))
		assert.Error(t, err, name)
	}
}
