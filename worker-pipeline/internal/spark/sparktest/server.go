// Package sparktest is a local server that follows Apache Livy's REST batches API
// contract, including its error answers, for tests of the Spark path. Its jobs
// are Go functions that do the job's real work (write Parquet into staging).
package sparktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/matih/ops/worker-pipeline/internal/spark"
)

// Job is what a batch does once it runs; the lines it returns are its log. An
// error ends the batch dead, with the error as its last log line.
type Job func(ctx context.Context, req spark.BatchRequest) ([]string, error)

// Server is the fake Livy. Zero delays make a batch run as soon as it is submitted.
type Server struct {
	*httptest.Server
	// StartDelay is how long a batch stays "starting" before its job runs.
	StartDelay time.Duration

	mu        sync.Mutex
	job       Job
	next      int
	batches   map[int]*batch
	submitted []spark.BatchRequest
	deleted   []int
	faults    []int // status codes the next requests get, in order
	delay     time.Duration
	user, pw  string
}

type batch struct {
	spark.Batch
	log    []string
	cancel context.CancelFunc
}

// New starts a server whose batches run job. user and pw, when set, are required
// as basic auth.
func New(job Job, user, pw string) *Server {
	s := &Server{job: job, batches: map[int]*batch{}, user: user, pw: pw}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Fail makes the next len(codes) requests answer those status codes.
func (s *Server) Fail(codes ...int) {
	s.mu.Lock()
	s.faults = append(s.faults, codes...)
	s.mu.Unlock()
}

// Delay makes every answer wait d.
func (s *Server) Delay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// Submitted is every batch request accepted so far.
func (s *Server) Submitted() []spark.BatchRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]spark.BatchRequest(nil), s.submitted...)
}

// Deleted is every batch id a DELETE removed.
func (s *Server) Deleted() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.deleted...)
}

// StateOf is a batch's state, or "" when the server does not know it.
func (s *Server) StateOf(id int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.batches[id]; ok {
		return b.State
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay := s.delay
	fault := 0
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()
	time.Sleep(delay)
	if fault != 0 {
		answer(w, fault, map[string]string{"msg": "injected " + http.StatusText(fault)})
		return
	}
	if s.user != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != s.user || p != s.pw {
			answer(w, http.StatusUnauthorized, map[string]string{"msg": "authentication required"})
			return
		}
	}
	if r.Method != http.MethodGet && r.Header.Get("X-Requested-By") == "" {
		answer(w, http.StatusBadRequest, map[string]string{"msg": "Missing Required Header for CSRF protection."})
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if parts[0] != "batches" {
		answer(w, http.StatusNotFound, map[string]string{"msg": "not found"})
		return
	}
	if len(parts) == 1 {
		switch r.Method {
		case http.MethodPost:
			s.submit(w, r)
		case http.MethodGet:
			s.list(w, r)
		default:
			answer(w, http.StatusMethodNotAllowed, map[string]string{"msg": "method not allowed"})
		}
		return
	}
	id, err := strconv.Atoi(parts[1])
	if err != nil || len(parts) > 3 {
		answer(w, http.StatusNotFound, map[string]string{"msg": "not found"})
		return
	}
	s.one(w, r, id, strings.Join(parts[2:], "/"))
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	var req spark.BatchRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.File == "" {
		answer(w, http.StatusBadRequest, map[string]string{"msg": "Rejected, Reason: file is required"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.batches {
		if req.Name != "" && b.Name == req.Name {
			answer(w, http.StatusBadRequest, map[string]string{"msg": "Duplicate session name: " + req.Name})
			return
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &batch{Batch: spark.Batch{ID: s.next, Name: req.Name, State: spark.StateStarting}, cancel: cancel}
	s.next++
	s.batches[b.ID] = b
	s.submitted = append(s.submitted, req)
	go s.run(ctx, b, req)
	answer(w, http.StatusCreated, b.Batch)
}

// run takes a batch through starting, running and its end.
func (s *Server) run(ctx context.Context, b *batch, req spark.BatchRequest) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(s.StartDelay):
	}
	s.mu.Lock()
	b.State, b.AppID = spark.StateRunning, fmt.Sprintf("application_0000_%04d", b.ID)
	s.mu.Unlock()
	lines, err := s.job(ctx, req)
	s.mu.Lock()
	defer s.mu.Unlock()
	b.log = append(b.log, lines...)
	switch {
	case ctx.Err() != nil:
		b.State = spark.StateKilled
	case err != nil:
		b.log = append(b.log, "Exception in thread \"main\" "+err.Error())
		b.State = spark.StateDead
	default:
		b.State = spark.StateSuccess
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	size, err := strconv.Atoi(r.URL.Query().Get("size"))
	if err != nil {
		size = 20
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sessions := []spark.Batch{}
	for id := 0; id < s.next; id++ {
		if b, ok := s.batches[id]; ok {
			sessions = append(sessions, b.Batch)
		}
	}
	total := len(sessions)
	sessions = sessions[min(from, total):min(from+size, total)]
	answer(w, http.StatusOK, map[string]any{"from": from, "total": total, "sessions": sessions})
}

func (s *Server) one(w http.ResponseWriter, r *http.Request, id int, sub string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.batches[id]
	if !ok {
		answer(w, http.StatusNotFound, map[string]string{"msg": fmt.Sprintf("Session '%d' not found.", id)})
		return
	}
	switch {
	case r.Method == http.MethodDelete && sub == "":
		b.cancel()
		delete(s.batches, id)
		s.deleted = append(s.deleted, id)
		answer(w, http.StatusOK, map[string]string{"msg": "deleted"})
	case r.Method == http.MethodGet && sub == "":
		answer(w, http.StatusOK, b.Batch)
	case r.Method == http.MethodGet && sub == "state":
		answer(w, http.StatusOK, map[string]any{"id": id, "state": b.State})
	case r.Method == http.MethodGet && sub == "log":
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		size, err := strconv.Atoi(r.URL.Query().Get("size"))
		if err != nil {
			size = 100
		}
		from = min(max(from, 0), len(b.log))
		lines := b.log[from:min(from+size, len(b.log))]
		answer(w, http.StatusOK, map[string]any{"id": id, "from": from, "total": len(b.log), "log": lines})
	default:
		answer(w, http.StatusNotFound, map[string]string{"msg": "not found"})
	}
}

func answer(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
