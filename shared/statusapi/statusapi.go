// Package statusapi serves the status document over HTTP at the path the pipeline
// service's API uses: GET /v1/pipelines/workflows/{workflowId}/status. It reads
// Temporal only (describe, history, the status query), so it works when every worker
// is down, and it changes nothing.
package statusapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/matih/ops/shared/status"
)

// Path is the route of the status document.
const Path = "/v1/pipelines/workflows/{workflowId}/status"

// RequestTimeout bounds one request's Temporal calls.
const RequestTimeout = 10 * time.Second

// workflowIDRe accepts the ids the contract builds and what Temporal allows in
// practice, and refuses control characters.
var workflowIDRe = regexp.MustCompile(`^[\x21-\x7e]{1,1000}$`)

// Handler serves the status API for one Temporal client.
func Handler(c client.Client) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("workflowId")
		if !workflowIDRe.MatchString(id) {
			writeError(w, http.StatusBadRequest, "workflowId: expected 1-1000 printable ASCII characters")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
		defer cancel()
		doc, err := status.Build(ctx, c, id, r.URL.Query().Get("runId"))
		if err != nil {
			writeError(w, statusCode(err), err.Error())
			return
		}
		writeJSON(w, http.StatusOK, doc)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route; GET "+Path)
	})
	return mux
}

// statusCode maps Temporal's answers: unknown workflow 404, server trouble 503.
func statusCode(err error) int {
	var nf *serviceerror.NotFound
	var unavailable *serviceerror.Unavailable
	switch {
	case errors.As(err, &nf):
		return http.StatusNotFound
	case errors.As(err, &unavailable), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
