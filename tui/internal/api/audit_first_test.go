package api

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type brokenAudit struct{}

func (brokenAudit) Audit(AuditEntry) error { return errors.New("disk full") }

// A request that acts is refused, with nothing done, when its audit line cannot be
// written first.
func TestNothingIsDoneThatCannotBeAuditedFirst(t *testing.T) {
	h := &harness{be: newFake(), audit: &memAudit{}, now: time.Now()}
	h.srv = New(Options{Backend: h.be, Tokens: testTokens(t), Auditor: brokenAudit{}, Pipelines: fakePipelines{"orders-low-quality": lowQuality}})
	w := h.do("POST", "/v1/pipelines/orders-low-quality/execute", operateToken, `{}`)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), "audit log cannot be written")
	assert.Zero(t, h.be.starts, "nothing started")
	assert.Equal(t, http.StatusOK, h.do("GET", PathWorkflows, readToken, "").Code, "reading needs no audit line")
}
