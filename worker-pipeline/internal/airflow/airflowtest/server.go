// Package airflowtest is a local HTTP server that follows Airflow's stable REST API
// contract for DAG runs (v1 and v2), including its error answers, for tests.
package airflowtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// DAG behaviour in the fake.
type DAG struct {
	// Polls is how many GETs a run stays queued/running before it ends.
	Polls int
	// FailTasks, when set, makes runs end failed with these task ids failed.
	FailTasks []string
	// Deny, when set (401 or 403), is Airflow's answer to any request on this DAG,
	// as for a user without permission on it.
	Deny int
	// Transform, when set, is the DAG's work: it runs once, with the run's conf,
	// when the run ends, and an error from it fails the run.
	Transform func(conf map[string]any) error
}

// Server is an httptest server speaking Airflow's DAG-run API.
type Server struct {
	*httptest.Server
	User, Password, Token string

	mu       sync.Mutex
	dags     map[string]DAG
	runs     map[string]*run // key dag/run
	Triggers int             // POSTs that created a run
	Requests []string        // "METHOD path" of every request
}

type run struct {
	DAGID, RunID string
	Conf         map[string]any
	polls        int
	state        string
	start, end   time.Time
}

// New starts a server with the given DAGs. Basic auth user/password (v1) or a bearer
// token (v2) are required.
func New(dags map[string]DAG) *Server {
	s := &Server{User: "airflow", Password: "airflow-pass", Token: "token-123", dags: dags, runs: map[string]*run{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// ExpireToken makes the current bearer token invalid, as when an Airflow 3 JWT
// expires; /auth/token hands out the new one.
func (s *Server) ExpireToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Token += "-next"
}

// Run returns the conf a run was triggered with, and whether it exists.
func (s *Server) Run(dagID, runID string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.runs[dagID+"/"+runID]
	if !ok {
		return nil, false
	}
	return r.Conf, true
}

func problem(w http.ResponseWriter, code int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"detail": detail, "status": code, "title": http.StatusText(code), "type": "about:blank"})
}

func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.User && p == s.Password
	}
	return r.Header.Get("Authorization") == "Bearer "+s.Token
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests = append(s.Requests, r.Method+" "+r.URL.Path)
	if r.URL.Path == "/auth/token" && r.Method == http.MethodPost {
		var c struct{ Username, Password string }
		_ = json.NewDecoder(r.Body).Decode(&c)
		if c.Username != s.User || c.Password != s.Password {
			problem(w, http.StatusUnauthorized, "Invalid credentials")
			return
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"access_token": s.Token})
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	// api/{v1|v2}/dags/{dag}/dagRuns[/{run}[/taskInstances]]
	if len(parts) < 5 || parts[0] != "api" || (parts[1] != "v1" && parts[1] != "v2") || parts[2] != "dags" || parts[4] != "dagRuns" {
		problem(w, http.StatusNotFound, "Not found")
		return
	}
	if !s.authorized(r) {
		problem(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	dagID := parts[3]
	dag, ok := s.dags[dagID]
	if !ok {
		problem(w, http.StatusNotFound, "DAG with dag_id: '"+dagID+"' not found")
		return
	}
	if dag.Deny != 0 {
		problem(w, dag.Deny, "Access is denied for DAG "+dagID)
		return
	}
	switch {
	case len(parts) == 5 && r.Method == http.MethodPost:
		s.trigger(w, r, parts[1], dagID)
	case len(parts) == 6 && r.Method == http.MethodGet:
		s.get(w, dag, dagID, parts[5])
	case len(parts) == 6 && r.Method == http.MethodPatch:
		s.patch(w, r, dagID, parts[5])
	case len(parts) == 7 && parts[6] == "taskInstances" && r.Method == http.MethodGet:
		s.tasks(w, dag, dagID, parts[5])
	default:
		problem(w, http.StatusMethodNotAllowed, "Method not allowed")
	}
}

func (s *Server) trigger(w http.ResponseWriter, r *http.Request, version, dagID string) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		problem(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	if _, has := body["logical_date"]; version == "v2" && !has {
		problem(w, http.StatusUnprocessableEntity, "logical_date: Field required")
		return
	}
	runID, _ := body["dag_run_id"].(string)
	if runID == "" {
		runID = "manual__" + time.Now().UTC().Format(time.RFC3339Nano)
	}
	if _, dup := s.runs[dagID+"/"+runID]; dup {
		problem(w, http.StatusConflict, "DAGRun with DAG ID: '"+dagID+"' and DAGRun ID: '"+runID+"' already exists")
		return
	}
	conf, _ := body["conf"].(map[string]any)
	rn := &run{DAGID: dagID, RunID: runID, Conf: conf, state: "queued", start: time.Now().UTC()}
	s.runs[dagID+"/"+runID] = rn
	s.Triggers++
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(rn.json())
}

func (s *Server) get(w http.ResponseWriter, dag DAG, dagID, runID string) {
	rn, ok := s.runs[dagID+"/"+runID]
	if !ok {
		problem(w, http.StatusNotFound, "DAGRun with DAG ID: '"+dagID+"' and DagRun ID: '"+runID+"' not found")
		return
	}
	rn.polls++
	switch {
	case rn.state == "success" || rn.state == "failed":
	case rn.polls <= dag.Polls:
		rn.state = "running"
	case len(dag.FailTasks) > 0:
		rn.state, rn.end = "failed", time.Now().UTC()
	default:
		rn.state, rn.end = "success", time.Now().UTC()
		if dag.Transform != nil {
			if err := dag.Transform(rn.Conf); err != nil {
				rn.state = "failed"
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(rn.json())
}

// patch sets a run's state ("failed" or "success"), as Airflow's PATCH dagRuns does.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, dagID, runID string) {
	rn, ok := s.runs[dagID+"/"+runID]
	if !ok {
		problem(w, http.StatusNotFound, "DAGRun not found")
		return
	}
	var body struct {
		State string `json:"state"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || (body.State != "failed" && body.State != "success" && body.State != "queued") {
		problem(w, http.StatusBadRequest, "state must be one of failed, success, queued")
		return
	}
	rn.state, rn.end = body.State, time.Now().UTC()
	_ = json.NewEncoder(w).Encode(rn.json())
}

// State returns a run's state, or "" when it does not exist.
func (s *Server) State(dagID, runID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rn, ok := s.runs[dagID+"/"+runID]; ok {
		return rn.state
	}
	return ""
}

func (s *Server) tasks(w http.ResponseWriter, dag DAG, dagID, runID string) {
	if _, ok := s.runs[dagID+"/"+runID]; !ok {
		problem(w, http.StatusNotFound, "DAGRun not found")
		return
	}
	var tis []map[string]any
	failed := map[string]bool{}
	for _, t := range dag.FailTasks {
		failed[t] = true
		tis = append(tis, map[string]any{"task_id": t, "state": "failed"})
	}
	tis = append(tis, map[string]any{"task_id": "load_ok", "state": "success"})
	_ = json.NewEncoder(w).Encode(map[string]any{"task_instances": tis, "total_entries": len(tis)})
}

func (r *run) json() map[string]any {
	m := map[string]any{"dag_run_id": r.RunID, "dag_id": r.DAGID, "state": r.state, "conf": r.Conf,
		"start_date": r.start.Format(time.RFC3339Nano), "run_type": "manual"}
	if !r.end.IsZero() {
		m["end_date"] = r.end.Format(time.RFC3339Nano)
	} else {
		m["end_date"] = nil
	}
	return m
}

// Running counts a DAG's runs that are queued or running.
func (s *Server) Running(dagID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.runs {
		if r.DAGID == dagID && (r.state == "queued" || r.state == "running") {
			n++
		}
	}
	return n
}

// Stopped lists the runs a client marked failed with PATCH.
func (s *Server) Stopped() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.Requests {
		if strings.HasPrefix(r, "PATCH ") {
			out = append(out, strings.TrimPrefix(r, "PATCH "))
		}
	}
	return out
}
