// Package airflow triggers and follows DAG runs through Airflow's stable REST API:
// v1 (Airflow 2, /api/v1, basic auth) or v2 (Airflow 3, /api/v2, bearer tokens).
package airflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/matih/ops/shared/jsonhttp"

	"github.com/matih/ops/shared/contract"
)

// Config is the worker-side Airflow configuration. Credentials come from env or files,
// never from workflow input.
type Config struct {
	BaseURL    string // e.g. https://airflow.example.com
	APIVersion string // "v1" (Airflow 2) or "v2" (Airflow 3)
	Username   string
	Password   string
	Token      string // bearer token; for v2 without one, Username/Password are exchanged at /auth/token
	HTTP       *http.Client
	// PollPatience is how long the polls of a triggered run may keep failing with
	// answers that can pass (5xx, 429, 408, no connection) before the attempt ends;
	// 0 means DefaultPollPatience.
	PollPatience time.Duration
}

// DefaultPollPatience lets a webserver restart or a short outage pass within one
// attempt: the activity's retries are a minute and more apart, and only three.
const DefaultPollPatience = 2 * time.Minute

// Client talks to one Airflow. Activities share it, so the token is guarded.
type Client struct {
	cfg   Config
	mu    sync.Mutex
	token string
}

// New checks the config and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("airflow-url: expected http(s)://host[:port], got %q", cfg.BaseURL)
	}
	switch cfg.APIVersion {
	case "":
		cfg.APIVersion = "v1"
	case "v1", "v2":
	default:
		return nil, fmt.Errorf("airflow-api: expected v1 (Airflow 2) or v2 (Airflow 3), got %q", cfg.APIVersion)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Client{cfg: cfg, token: cfg.Token}, nil
}

// DAGRun is the part of Airflow's DAGRun object we use.
type DAGRun struct {
	DAGRunID  string    `json:"dag_run_id"`
	DAGID     string    `json:"dag_id"`
	State     string    `json:"state"`
	StartDate time.Time `json:"start_date"`
	EndDate   time.Time `json:"end_date"`
}

// Run states that end a run.
const (
	StateSuccess = "success"
	StateFailed  = "failed"
)

// Trigger creates the run, or returns the existing one when Airflow answers 409
// (the run id is deterministic, so a retry finds its own run).
func (c *Client) Trigger(ctx context.Context, dagID, runID string, conf map[string]any) (DAGRun, error) {
	body := map[string]any{"dag_run_id": runID, "conf": conf}
	if c.cfg.APIVersion == "v2" {
		body["logical_date"] = nil // required (nullable) in Airflow 3
	}
	var run DAGRun
	err := c.do(ctx, http.MethodPost, c.path("dags", dagID, "dagRuns"), body, &run)
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusConflict {
		return c.Get(ctx, dagID, runID)
	}
	return run, err
}

// Get reads one run.
func (c *Client) Get(ctx context.Context, dagID, runID string) (DAGRun, error) {
	var run DAGRun
	err := c.do(ctx, http.MethodGet, c.path("dags", dagID, "dagRuns", runID), nil, &run)
	return run, err
}

// FailedTasks lists the task ids of a run that ended failed or upstream_failed.
func (c *Client) FailedTasks(ctx context.Context, dagID, runID string) ([]string, error) {
	var out struct {
		TaskInstances []struct {
			TaskID string `json:"task_id"`
			State  string `json:"state"`
		} `json:"task_instances"`
	}
	if err := c.do(ctx, http.MethodGet, c.path("dags", dagID, "dagRuns", runID, "taskInstances"), nil, &out); err != nil {
		return nil, err
	}
	var failed []string
	for _, ti := range out.TaskInstances {
		if ti.State == "failed" || ti.State == "upstream_failed" {
			failed = append(failed, ti.TaskID)
		}
	}
	return failed, nil
}

func (c *Client) path(parts ...string) string {
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = url.PathEscape(p)
	}
	return "/api/" + c.cfg.APIVersion + "/" + strings.Join(esc, "/")
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Code   int
	Detail string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("airflow answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Detail)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	err := c.doOnce(ctx, method, path, in, out)
	var se *StatusError
	if errors.As(err, &se) && se.Code == http.StatusUnauthorized && c.canLogin() {
		// An Airflow 3 token expired: log in again once, then retry.
		c.setToken("")
		err = c.doOnce(ctx, method, path, in, out)
	}
	return err
}

// canLogin tells whether a fresh token can be fetched with the configured user.
func (c *Client) canLogin() bool { return c.cfg.APIVersion == "v2" && c.cfg.Username != "" }

func (c *Client) currentToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

func (c *Client) setToken(t string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = t
}

func (c *Client) doOnce(ctx context.Context, method, path string, in, out any) error {
	if c.canLogin() && c.currentToken() == "" {
		if err := c.login(ctx); err != nil {
			return err
		}
	}
	res, err := jsonhttp.Do(ctx, c.cfg.HTTP, jsonhttp.Call{Method: method, URL: c.cfg.BaseURL + path, Body: in, Prepare: c.authorize})
	if err != nil {
		return fmt.Errorf("airflow %s %s: %w", method, path, err)
	}
	if !res.OK() {
		return &StatusError{Code: res.Status, Detail: detail(res.Body)}
	}
	if out == nil {
		return nil
	}
	if err := res.Decode(out); err != nil {
		return fmt.Errorf("airflow %s %s: unexpected answer: %w", method, path, err)
	}
	return nil
}

// authorize sends the token, or basic auth where no token is used.
func (c *Client) authorize(req *http.Request) {
	if token := c.currentToken(); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	} else if c.cfg.Username != "" {
		req.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
}

// login exchanges username and password for a JWT (Airflow 3's /auth/token).
func (c *Client) login(ctx context.Context) error {
	res, err := jsonhttp.Do(ctx, c.cfg.HTTP, jsonhttp.Call{Method: http.MethodPost, URL: c.cfg.BaseURL + "/auth/token",
		Body: map[string]string{"username": c.cfg.Username, "password": c.cfg.Password}})
	if err != nil {
		return fmt.Errorf("airflow login: %w", err)
	}
	if !res.OK() {
		return &StatusError{Code: res.Status, Detail: detail(res.Body)}
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := res.Decode(&tok); err != nil || tok.AccessToken == "" {
		return errors.New("airflow login: no access_token in the answer")
	}
	c.setToken(tok.AccessToken)
	return nil
}

// detail pulls the message out of Airflow's problem JSON ({"detail": ...}).
func detail(raw []byte) string {
	var p struct {
		Detail any    `json:"detail"`
		Title  string `json:"title"`
	}
	if json.Unmarshal(raw, &p) == nil && p.Detail != nil {
		return fmt.Sprint(p.Detail)
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// Classify maps an Airflow answer to our error types: 401/403 deny permission, 404
// means the DAG (or run) does not exist, 400/422 a bad request; others are retried.
func Classify(dagID string, err error) error {
	var se *StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return &contract.PermissionDeniedError{System: "airflow", Detail: se.Error()}
	case http.StatusNotFound:
		return contract.Invalid("transform_dag", "a DAG that exists in Airflow, %q: %s", dagID, se.Detail)
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return contract.Invalid("transform_dag", "a run request Airflow accepts: %s", se.Detail)
	}
	return err
}
