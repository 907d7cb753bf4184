package api

import (
	"context"
	"net/http"
	"time"

	"github.com/matih/ops/shared/contract"
)

// The start request of each workflow type: its id, type and queue, the same for
// `matih start` and the API.

// PipelineStart starts DataPipelineWorkflow with cfg.
func PipelineStart(cfg contract.PipelineConfig, now time.Time) StartRequest {
	return StartRequest{WorkflowID: contract.PipelineWorkflowID(cfg.PipelineID, now), WorkflowType: contract.DataPipelineWorkflow,
		TaskQueue: contract.PipelineQueue, Input: cfg}
}

// BackfillStart starts DataBackfillWorkflow with cfg.
func BackfillStart(cfg contract.BackfillConfig, now time.Time) StartRequest {
	return StartRequest{WorkflowID: contract.BackfillWorkflowID(cfg.PipelineID, now), WorkflowType: contract.DataBackfillWorkflow,
		TaskQueue: contract.PipelineQueue, Input: cfg}
}

// MigrationStart starts SchemaMigrationWorkflow with cfg.
func MigrationStart(cfg contract.MigrationConfig) StartRequest {
	return StartRequest{WorkflowID: contract.MigrationWorkflowID(cfg.MigrationID), WorkflowType: contract.SchemaMigrationWorkflow,
		TaskQueue: contract.InfraQueue, Input: cfg}
}

// MaintenanceStart starts TableMaintenanceWorkflow with cfg.
func MaintenanceStart(cfg contract.MaintenanceConfig, now time.Time) StartRequest {
	return StartRequest{WorkflowID: contract.MaintenanceWorkflowID(now), WorkflowType: contract.TableMaintenanceWorkflow,
		TaskQueue: contract.InfraQueue, Input: cfg}
}

// StartedBy records who starts a pipeline, as this server knows them (the token's
// name, the SSH key's identity), over whatever the file or body said: the
// workflow's four-eyes rule refuses that identity's decision. It expands the
// approvers' groups with groups (nil: no groups file), so the run names the people.
func StartedBy(req StartRequest, identity string, groups Groups) (StartRequest, error) {
	if cfg, ok := req.Input.(contract.PipelineConfig); ok {
		cfg.StartedBy = identity
		approvers, err := groups.Expand(cfg.Approvers)
		if err != nil {
			return req, err
		}
		cfg.Approvers = approvers
		req.Input = cfg
	}
	return req, nil
}

// builder turns a start request's body into the workflow to start, and says what
// the audit line's reason is.
type builder func(r *http.Request, c Caller, body []byte, now time.Time) (req StartRequest, reason string, err error)

func (s *Server) execute(w http.ResponseWriter, r *http.Request, c Caller) {
	s.start(w, r, c, s.buildPipeline)
}

func (s *Server) backfill(w http.ResponseWriter, r *http.Request, c Caller) {
	s.start(w, r, c, func(_ *http.Request, _ Caller, body []byte, now time.Time) (StartRequest, string, error) {
		cfg, err := DecodeBackfill(body)
		return BackfillStart(cfg, now), "POST " + PathBackfills, err
	})
}

func (s *Server) migration(w http.ResponseWriter, r *http.Request, c Caller) {
	s.start(w, r, c, func(_ *http.Request, _ Caller, body []byte, _ time.Time) (StartRequest, string, error) {
		cfg, err := DecodeMigration(body)
		return MigrationStart(cfg), "POST " + PathMigration, err
	})
}

// buildPipeline lays the body's overrides over the operator's definition file and
// validates the result with the contract's own checks.
func (s *Server) buildPipeline(r *http.Request, c Caller, body []byte, now time.Time) (StartRequest, string, error) {
	id := r.PathValue("pipelineId")
	if s.opts.Pipelines == nil {
		return StartRequest{}, "", fail(http.StatusNotFound, CodeNotFound, "unknown pipeline "+quote(id, 128)+": this server has no --pipelines directory")
	}
	cfg, source, ok := s.opts.Pipelines.Lookup(id)
	if !ok {
		return StartRequest{}, "", fail(http.StatusNotFound, CodeNotFound, "unknown pipeline "+quote(id, 128))
	}
	params, err := DecodeExecutionParams(body)
	if err != nil {
		return StartRequest{}, source, err
	}
	if cfg, err = params.apply(cfg, c.Has(ScopeOverrideQuality)); err != nil {
		return StartRequest{}, source, err
	}
	if err := cfg.Validate(); err != nil {
		return StartRequest{}, source, err
	}
	if err := cfg.Source.RequireConnection("source"); err != nil {
		return StartRequest{}, source, err
	}
	return PipelineStart(cfg, now), source, nil
}

// start reads the body and starts the workflow once per Idempotency-Key: a retry
// with the same key and body gets the first answer (header Idempotent-Replayed),
// the same key with another body 409.
func (s *Server) start(w http.ResponseWriter, r *http.Request, c Caller, build builder) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	key := r.Header.Get(HeaderIdempotencyKey)
	if key == "" {
		s.startOnce(w, r, c, build, body)
		return
	}
	if !idemKeyRe.MatchString(key) {
		writeError(w, r, badRequest(HeaderIdempotencyKey, "Idempotency-Key: expected 1-255 printable ASCII characters"))
		return
	}
	scoped := c.Name + "\x00" + key
	for {
		e, leader, err := s.idem.begin(scoped, fingerprint(r, body), s.opts.Now())
		if err != nil {
			writeError(w, r, err)
			return
		}
		if leader {
			s.idem.finish(scoped, e, s.startOnce(w, r, c, build, body))
			return
		}
		select {
		case <-e.done:
		case <-r.Context().Done():
			writeError(w, r, fail(http.StatusServiceUnavailable, CodeUnavailable, "the first request with this Idempotency-Key is still running"))
			return
		}
		if e.answer != nil {
			rec := recordOf(r)
			rec.workflow, rec.reason = e.answer.WorkflowID, "replayed for Idempotency-Key"
			w.Header().Set("Idempotent-Replayed", "true")
			writeJSON(w, http.StatusAccepted, e.answer)
			return
		}
	}
}

// startOnce builds and starts the workflow and answers; it returns the answer when
// the start succeeded.
func (s *Server) startOnce(w http.ResponseWriter, r *http.Request, c Caller, build builder, body []byte) *startAnswer {
	req, reason, err := build(r, c, body, s.opts.Now())
	if err == nil {
		err = s.opts.Connections.RequireKnown(req.Input)
	}
	rec := recordOf(r)
	rec.reason = reason
	if err != nil {
		writeError(w, r, err)
		return nil
	}
	rec.workflow = req.WorkflowID
	if req, err = StartedBy(req, c.Name, s.opts.Groups); err != nil {
		writeError(w, r, err)
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	runID, err := s.opts.Backend.Start(ctx, c.Name, req)
	if err != nil {
		writeError(w, r, err)
		return nil
	}
	a := &startAnswer{WorkflowID: req.WorkflowID, RunID: runID, Status: "STARTED"}
	writeJSON(w, http.StatusAccepted, a)
	return a
}
