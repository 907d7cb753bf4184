package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestATokenOverItsRateGets429WithRetryAfter(t *testing.T) {
	h := &harness{be: newFake(), audit: &memAudit{}, now: time.Now()}
	h.srv = New(Options{Backend: h.be, Tokens: testTokens(t), Auditor: h.audit, RatePerSecond: 1, Burst: 3})
	for range 3 {
		assert.Equal(t, http.StatusOK, h.do("GET", PathWorkflows, readToken, "").Code)
	}
	w := h.do("GET", PathWorkflows, readToken, "")
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), "rate_limited")
	assert.Equal(t, http.StatusOK, h.do("GET", PathWorkflows, operateToken, "").Code, "another token has its own bucket")
}
