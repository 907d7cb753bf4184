package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matih/ops/shared/connections"
)

// RequestTimeout bounds one request's Temporal calls; the approval update, which
// waits for a worker, is bounded below it by the backend.
const RequestTimeout = 20 * time.Second

// Options configure the API.
type Options struct {
	Backend Backend
	// Pipelines resolves execute's pipeline_id; nil answers 404 to every execute.
	Pipelines Pipelines
	// Tokens enables bearer auth and the mutating routes; nil serves GET only, to
	// anyone (meant for loopback).
	Tokens *Tokens
	// ReadOnly refuses the mutating routes even to operate tokens.
	ReadOnly bool
	Auditor  Auditor
	Logger   *slog.Logger
	// Registry receives the request metrics; nil makes one with the Go and process
	// collectors.
	Registry *prometheus.Registry
	// Now names new workflows; nil is time.Now.
	Now func() time.Time
	// Connections, the workers' connections file, refuses a start naming a
	// connection it lacks (400, the field named) before anything starts; nil leaves
	// that to the worker, which fails the run at its first step.
	Connections *connections.Registry
	// Codec serves /codec/encode and /codec/decode (Temporal's codec server
	// protocol) for the namespace Namespace; nil answers 404 there.
	Codec     PayloadCodec
	Namespace string
	// CodecOrigin is the Web UI origin allowed to call the codec routes from a browser.
	CodecOrigin string
	// Groups expands `group:NAME` in a pipeline's approvers at start; nil refuses such
	// an entry.
	Groups Groups
	// RatePerSecond and Burst bound each token's requests (0: the defaults).
	RatePerSecond float64
	Burst         int
}

// Server is the Pipeline Service API as an http.Handler.
type Server struct {
	opts    Options
	mux     *http.ServeMux
	idem    *idemStore
	metrics *httpMetrics
	limits  *limiters
}

// New builds the API and registers its routes.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Registry == nil {
		opts.Registry = newRegistry()
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), idem: newIdemStore(IdempotencyTTL, IdempotencyMaxKeys),
		limits: newLimiters(opts.RatePerSecond, opts.Burst)}
	s.metrics = newHTTPMetrics(opts.Registry)
	seen := map[string]bool{}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
		if !seen[rt.Path] {
			// Any other method on a served path: 405 in the one error shape.
			s.mux.Handle(rt.Path, methodNotAllowed(rt.Path, s.allowed(rt.Path)))
			seen[rt.Path] = true
		}
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, fail(http.StatusNotFound, CodeNotFound, "no such route: "+quote(r.URL.Path, 200)+"; see GET /v1/openapi.json"))
	})
	return s
}

// ServeHTTP counts and times every request by its route pattern and status code.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	s.mux.ServeHTTP(sw, r)
	s.metrics.observe(r, sw.code, time.Since(start))
}

// Mutating reports whether the server takes mutating requests at all.
func (s *Server) Mutating() bool { return s.opts.Tokens != nil && !s.opts.ReadOnly }

// Route is one served route: its method, its path pattern, the role it needs and,
// for a mutating route, the audit action.
type Route struct {
	Method string
	Path   string
	Need   Scope
	Action string
	handle func(http.ResponseWriter, *http.Request, Caller)
}

// Routes lists what the server serves; the OpenAPI document lists the same.
func (s *Server) Routes() []Route { return s.routes() }

// The routes' paths.
const (
	PathStatus    = "/v1/pipelines/workflows/{workflowId}/status"
	PathSignal    = "/v1/pipelines/workflows/{workflowId}/signal"
	PathWorkflows = "/v1/pipelines/workflows"
	PathExecute   = "/v1/pipelines/{pipelineId}/execute"
	PathApprovals = "/v1/approvals"
	PathBackfills = "/v1/backfills"
	PathMigration = "/v1/migrations"
	PathOpenAPI   = "/v1/openapi.json"
)

func (s *Server) routes() []Route {
	routes := []Route{
		{Method: "GET", Path: "/healthz", handle: s.healthz},
		{Method: "GET", Path: "/readyz", handle: s.readyz},
		{Method: "GET", Path: "/metrics", handle: s.serveMetrics},
		{Method: "GET", Path: PathOpenAPI, handle: serveOpenAPI},
		{Method: "GET", Path: PathWorkflows, Need: ScopeRead, handle: s.list},
		{Method: "GET", Path: PathStatus, Need: ScopeRead, handle: s.status},
		{Method: "GET", Path: PathApprovals, Need: ScopeRead, handle: s.approvals},
		{Method: "POST", Path: PathSignal, Need: scopeSignal, Action: "signal", handle: s.signal},
		{Method: "POST", Path: PathExecute, Need: ScopeExecute, Action: "start pipeline", handle: s.execute},
		{Method: "POST", Path: PathBackfills, Need: ScopeBackfill, Action: "start backfill", handle: s.backfill},
		{Method: "POST", Path: PathMigration, Need: ScopeMigrate, Action: "start migration", handle: s.migration},
	}
	return append(routes, s.codecRoutes()...)
}

// record is what one request did, for its audit line.
type record struct {
	caller                   Caller
	action, workflow, reason string
	err                      *apiError
}

type recordKey struct{}

func recordOf(r *http.Request) *record {
	rec, _ := r.Context().Value(recordKey{}).(*record)
	return rec
}

// wrap authenticates, authorises and, for a mutating route, audits the request
// whatever its outcome (refused ones included).
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(rt.Path, "/codec/") {
			s.allowOrigin(w, r) // so a browser sees a refusal as one, not as a CORS error
		}
		rec := &record{action: rt.Action, caller: Caller{Name: "unauthenticated"}}
		r = r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
		if rt.Action != "" {
			defer s.audit(r, rec)
		}
		if rt.Need == ScopeNone {
			rt.handle(w, r, Caller{})
			return
		}
		c, err := s.opts.Tokens.authenticate(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		rec.caller = c
		if s.opts.Tokens != nil && !s.limits.allow(w, r, c.Name) {
			return
		}
		if err := s.authorize(c, rt.Need); err != nil {
			writeError(w, r, err)
			return
		}
		if rt.Action != "" && s.opts.Auditor != nil {
			if err := s.opts.Auditor.Audit(AuditEntry{Identity: c.Name, Action: rt.Action, Workflow: r.URL.Path, Sending: true}); err != nil {
				s.opts.Logger.Error("audit log", "err", err, "action", rt.Action, "path", r.URL.Path)
				writeError(w, r, fail(http.StatusServiceUnavailable, CodeUnavailable, "the audit log cannot be written, so nothing was done; try again once it can"))
				return
			}
		}
		rt.handle(w, r, c)
	})
}

func (s *Server) authorize(c Caller, need Scope) error {
	mutating := need != ScopeRead && need != ScopeNone
	switch {
	case mutating && s.opts.Tokens == nil:
		return fail(http.StatusForbidden, CodeForbidden, "this server runs without --tokens and serves GET only")
	case mutating && s.opts.ReadOnly:
		return fail(http.StatusForbidden, CodeForbidden, "this server runs --read-only and serves GET only")
	case !c.Has(need):
		return fail(http.StatusForbidden, CodeForbidden, "token "+c.Name+" has scopes "+c.scopeList()+"; this route needs "+string(need))
	}
	return nil
}

func (s *Server) audit(r *http.Request, rec *record) {
	if s.opts.Auditor == nil {
		return
	}
	e := AuditEntry{Identity: rec.caller.Name, Action: rec.action, Workflow: rec.workflow, Reason: rec.reason}
	if rec.err != nil {
		e.Err = rec.err
	}
	if err := s.opts.Auditor.Audit(e); err != nil {
		s.opts.Logger.Warn("audit log", "err", err, "action", rec.action, "path", r.URL.Path)
	}
}

// allowed lists the methods served on path, for a 405's Allow header.
func (s *Server) allowed(path string) string {
	var out string
	for _, rt := range s.routes() {
		if rt.Path == path {
			if out != "" {
				out += ", "
			}
			out += rt.Method
		}
	}
	return out
}

func methodNotAllowed(path, allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, r, fail(http.StatusMethodNotAllowed, CodeMethodNotAllowed, r.Method+" "+path+": expected "+allow))
	})
}

// statusWriter remembers the status code for the metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}
