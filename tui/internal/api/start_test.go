package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

const executePath = "/v1/pipelines/orders-low-quality/execute"

func TestExecute(t *testing.T) {
	h := newHarness(t, testTokens(t))
	w := h.do("POST", executePath, operateToken, `{"min_quality_score": 0.95, "approval_timeout": "2h"}`)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	a := decode[startAnswer](t, w)
	assert.Equal(t, "pipeline-orders-low-quality-2026-02-12T03:04:05.600000", a.WorkflowID)
	assert.Equal(t, "run-"+a.WorkflowID, a.RunID)
	assert.Equal(t, "STARTED", a.Status)
	req := h.be.started[a.WorkflowID]
	assert.Equal(t, contract.DataPipelineWorkflow, req.WorkflowType)
	assert.Equal(t, contract.PipelineQueue, req.TaskQueue)
	cfg := req.Input.(contract.PipelineConfig)
	assert.Equal(t, 0.95, cfg.MinQualityScore, "raised above the definition's 0.9")
	assert.Equal(t, 2*time.Hour, cfg.ApprovalTimeout.D())
	assert.Equal(t, lowQuality.Source, cfg.Source, "the definition file's source, never the caller's")
	e := h.audit.last()
	assert.Equal(t, AuditEntry{Identity: "pipeline-service", Action: "start pipeline", Workflow: a.WorkflowID, Reason: "pipelines/orders-low-quality.yaml"}, e)

	h.now = h.now.Add(time.Second)
	w = h.do("POST", executePath, operateToken, "")
	require.Equal(t, http.StatusAccepted, w.Code, "an empty body starts the definition as is")
	assert.Equal(t, 0.9, h.be.started[decode[startAnswer](t, w).WorkflowID].Input.(contract.PipelineConfig).MinQualityScore)

	w = h.do("POST", executePath, operateToken, "")
	assert.Equal(t, http.StatusConflict, w.Code, "the same workflow id again, without an idempotency key")
	assertError(t, w, CodeConflict, "")
}

func TestExecuteBadInput(t *testing.T) {
	h := newHarness(t, testTokens(t))
	for body, field := range map[string]string{
		`{"source": {"connection": "elsewhere"}}`: "source",
		`{"min_quality_score": "high"}`:           "min_quality_score",
		`{"min_quality_score": 1.5}`:              "min_quality_score",
		`{"approval_timeout": "soon"}`:            "approval_timeout",
		`{"approval_timeout": "-1h"}`:             "approval_timeout",
		`[1, 2]`:                                  "",
		`{"min_quality_score": 0.5} {}`:           "",
		`{"min_quality_score": `:                  "",
	} {
		w := h.do("POST", executePath, operateToken, body)
		assert.Equal(t, http.StatusBadRequest, w.Code, body)
		assertError(t, w, CodeBadRequest, field)
	}
	w := h.do("POST", "/v1/pipelines/no-such-pipeline/execute", operateToken, "")
	assert.Equal(t, http.StatusNotFound, w.Code)
	assertError(t, w, CodeNotFound, "")
	assert.Zero(t, h.be.starts)

	h.be.down = true
	w = h.do("POST", executePath, operateToken, "")
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	assertError(t, w, CodeUnavailable, "")
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t, testTokens(t))
	big := `{"reason":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	for _, p := range []string{executePath, "/v1/pipelines/workflows/wf-1/signal", PathBackfills, PathMigration} {
		w := h.do("POST", p, operateToken, big)
		assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, p)
		assertError(t, w, CodeTooLarge, "")
	}
}

func TestIdempotencyKey(t *testing.T) {
	h := newHarness(t, testTokens(t))
	first := h.do("POST", executePath, operateToken, `{"min_quality_score":0.95}`, HeaderIdempotencyKey, "k-1")
	require.Equal(t, http.StatusAccepted, first.Code)
	h.now = h.now.Add(time.Minute)
	again := h.do("POST", executePath, operateToken, `{"min_quality_score":0.95}`, HeaderIdempotencyKey, "k-1")
	require.Equal(t, http.StatusAccepted, again.Code)
	assert.Equal(t, first.Body.String(), again.Body.String(), "the retry answers the first start")
	assert.Equal(t, "true", again.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, 1, h.be.starts)

	w := h.do("POST", executePath, operateToken, `{"min_quality_score":0.96}`, HeaderIdempotencyKey, "k-1")
	assert.Equal(t, http.StatusConflict, w.Code, "the same key for another request")
	w = h.do("POST", executePath, operateToken, "", HeaderIdempotencyKey, "bad key")
	assertError(t, w, CodeBadRequest, HeaderIdempotencyKey)

	// A failed first start is forgotten: the retry starts.
	w = h.do("POST", executePath, operateToken, `{"min_quality_score":7}`, HeaderIdempotencyKey, "k-2")
	assert.Equal(t, http.StatusBadRequest, w.Code)
	w = h.do("POST", executePath, operateToken, `{"min_quality_score":7}`, HeaderIdempotencyKey, "k-2")
	assert.Equal(t, http.StatusBadRequest, w.Code, "still validated, not replayed")
}

func TestIdempotencyKeyConcurrent(t *testing.T) {
	h := newHarness(t, testTokens(t))
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := h.do("POST", executePath, operateToken, "", HeaderIdempotencyKey, "same")
			bodies[i] = w.Body.String()
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, h.be.starts)
	for _, b := range bodies {
		assert.Equal(t, bodies[0], b)
	}
}

const backfillBody = `{"pipeline_id":"orders","source":{"connection":"demo","table":"orders"},"partition_column":"created_at",
"start_date":"2026-01-01","end_date":"2026-01-08","partition_size":"day","destination":{"table":"demo.orders"}}`

const migrationBody = `{"migration_id":"add_region","target":"iceberg","table":"demo.orders",
"add_columns":[{"name":"region","type":"string","nullable":true}],"lock_timeout":"5s"}`

func TestBackfillsAndMigrations(t *testing.T) {
	h := newHarness(t, testTokens(t))
	w := h.do("POST", PathBackfills, operateToken, backfillBody)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	a := decode[startAnswer](t, w)
	assert.Equal(t, "backfill-orders-2026-02-12T03:04:05.600000", a.WorkflowID)
	assert.Equal(t, contract.DataBackfillWorkflow, h.be.started[a.WorkflowID].WorkflowType)
	assert.Equal(t, "start backfill", h.audit.last().Action)

	w = h.do("POST", PathMigration, operateToken, migrationBody)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	assert.Equal(t, "migration-add_region", decode[startAnswer](t, w).WorkflowID)
	assert.Equal(t, contract.InfraQueue, h.be.started["migration-add_region"].TaskQueue)
	w = h.do("POST", PathMigration, operateToken, migrationBody)
	assert.Equal(t, http.StatusConflict, w.Code, "a migration starts once")

	for path, cases := range map[string]map[string]string{
		PathBackfills: {
			strings.Replace(backfillBody, `"2026-01-08"`, `"2025-12-01"`, 1):                        "end_date",
			strings.Replace(backfillBody, `"connection":"demo"`, `"dsn":"x.db","kind":"sqlite"`, 1): "source.dsn",
			strings.Replace(backfillBody, `"day"`, `7`, 1):                                          "partition_size",
			strings.Replace(backfillBody, `"orders",`, `"orders","carry":{"runs":3},`, 1):           "carry",
			strings.Replace(backfillBody, `"table":"orders"`, `"table":"orders","host":"x"`, 1):     "source.host",
		},
		PathMigration: {
			strings.Replace(migrationBody, `"iceberg"`, `"mysql"`, 1):  "target",
			strings.Replace(migrationBody, `"5s"`, `"later"`, 1):       "lock_timeout",
			strings.Replace(migrationBody, `true`, `"yes"`, 1):         "add_columns.nullable",
			strings.Replace(migrationBody, `"add_region"`, `"a;b"`, 1): "migration_id",
		},
	} {
		for body, field := range cases {
			w := h.do("POST", path, operateToken, body)
			assert.Equal(t, http.StatusBadRequest, w.Code, body)
			assertError(t, w, CodeBadRequest, field)
		}
	}
}

// The gate cannot be switched off by its caller: an override may raise the quality
// bar, never lower it.
func TestAnExecuteMayNotLowerTheQualityBar(t *testing.T) {
	h := newHarness(t, testTokens(t))
	for _, body := range []string{`{"min_quality_score": 0}`, `{"min_quality_score": 0.89}`} {
		w := h.do("POST", executePath, operateToken, body)
		assertError(t, w, CodeBadRequest, "min_quality_score")
		assert.Contains(t, w.Body.String(), "never lower it")
	}
	assert.Zero(t, h.be.starts)
}

// The starter is the token's name, whatever the definition file says.
func TestAnExecuteRecordsItsStarterFromTheToken(t *testing.T) {
	h := newHarness(t, testTokens(t))
	w := h.do("POST", executePath, operateToken, "")
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	a := decode[startAnswer](t, w)
	assert.Equal(t, "pipeline-service", h.be.started[a.WorkflowID].Input.(contract.PipelineConfig).StartedBy)
}
