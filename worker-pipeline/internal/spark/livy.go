// Package spark runs extraction as Spark jobs. Submission sits behind Submitter;
// Livy implements it over Apache Livy's REST batches API (what EMR on EC2,
// Cloudera and many Kubernetes installs expose).
package spark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/matih/ops/shared/jsonhttp"
)

// Batch states, as Livy names them.
const (
	StateNotStarted   = "not_started"
	StateStarting     = "starting"
	StateRecovering   = "recovering"
	StateRunning      = "running"
	StateBusy         = "busy"
	StateIdle         = "idle"
	StateShuttingDown = "shutting_down"
	StateSuccess      = "success"
	StateDead         = "dead"
	StateKilled       = "killed"
	StateError        = "error"
)

// Ended tells whether a state is final, and whether it succeeded.
func Ended(state string) (ended, succeeded bool) {
	switch state {
	case StateSuccess:
		return true, true
	case StateDead, StateKilled, StateError:
		return true, false
	}
	return false, false
}

// Livy is a client of one Livy server. It is safe for concurrent use.
type Livy struct {
	base                  string
	user, password, token string
	http                  *http.Client
}

// LivyConfig is where the server is and how to authenticate: a bearer token, or a
// username and password (basic auth, as Knox and Livy's own auth expect).
type LivyConfig struct {
	URL                string
	Username, Password string
	Token              string
	HTTP               *http.Client
}

// NewLivy checks the URL and returns a client.
func NewLivy(cfg LivyConfig) (*Livy, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("livy url: expected http(s)://host[:port][/path], got %q", cfg.URL)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	return &Livy{base: strings.TrimRight(cfg.URL, "/"), user: cfg.Username, password: cfg.Password, token: cfg.Token, http: cfg.HTTP}, nil
}

// BatchRequest is the body of POST /batches.
type BatchRequest struct {
	File           string            `json:"file"`
	ClassName      string            `json:"className,omitempty"`
	Args           []string          `json:"args,omitempty"`
	Name           string            `json:"name,omitempty"`
	Conf           map[string]string `json:"conf,omitempty"`
	Queue          string            `json:"queue,omitempty"`
	ProxyUser      string            `json:"proxyUser,omitempty"`
	DriverMemory   string            `json:"driverMemory,omitempty"`
	ExecutorMemory string            `json:"executorMemory,omitempty"`
	ExecutorCores  int               `json:"executorCores,omitempty"`
	NumExecutors   int               `json:"numExecutors,omitempty"`
}

// Batch is Livy's batch object, the part we read.
type Batch struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	State string   `json:"state"`
	AppID string   `json:"appId"`
	Log   []string `json:"log"`
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Code   int
	Detail string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("livy answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Detail)
}

// IsNotFound tells a 404: the batch is unknown (or Livy forgot it).
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

// Submit starts a batch.
func (l *Livy) Submit(ctx context.Context, req BatchRequest) (Batch, error) {
	var b Batch
	err := l.do(ctx, http.MethodPost, "/batches", req, &b)
	return b, err
}

// Find looks for the batch named name among those Livy still knows, newest first.
func (l *Livy) Find(ctx context.Context, name string) (Batch, bool, error) {
	const page = 100
	for from := 0; ; from += page {
		var out struct {
			From     int     `json:"from"`
			Total    int     `json:"total"`
			Sessions []Batch `json:"sessions"`
		}
		if err := l.do(ctx, http.MethodGet, "/batches?from="+strconv.Itoa(from)+"&size="+strconv.Itoa(page), nil, &out); err != nil {
			return Batch{}, false, err
		}
		var found *Batch
		for i := range out.Sessions {
			if s := &out.Sessions[i]; s.Name == name && (found == nil || s.ID > found.ID) {
				found = s
			}
		}
		if found != nil {
			return *found, true, nil
		}
		if len(out.Sessions) < page || from+page >= out.Total {
			return Batch{}, false, nil
		}
	}
}

// State reads a batch's state (GET /batches/{id}/state).
func (l *Livy) State(ctx context.Context, id int) (string, error) {
	var out struct {
		State string `json:"state"`
	}
	err := l.do(ctx, http.MethodGet, "/batches/"+strconv.Itoa(id)+"/state", nil, &out)
	return out.State, err
}

// LogTail reads the last n lines of a batch's log.
func (l *Livy) LogTail(ctx context.Context, id, n int) ([]string, error) {
	var head struct {
		Total int `json:"total"`
	}
	if err := l.do(ctx, http.MethodGet, "/batches/"+strconv.Itoa(id)+"/log?from=0&size=0", nil, &head); err != nil {
		return nil, err
	}
	var out struct {
		Log []string `json:"log"`
	}
	from := max(head.Total-n, 0)
	err := l.do(ctx, http.MethodGet, fmt.Sprintf("/batches/%d/log?from=%d&size=%d", id, from, n), nil, &out)
	return out.Log, err
}

// Kill deletes a batch, which stops its application. An unknown batch is gone already.
func (l *Livy) Kill(ctx context.Context, id int) error {
	err := l.do(ctx, http.MethodDelete, "/batches/"+strconv.Itoa(id), nil, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}

func (l *Livy) do(ctx context.Context, method, path string, in, out any) error {
	res, err := jsonhttp.Do(ctx, l.http, jsonhttp.Call{Method: method, URL: l.base + path, Body: in, Prepare: l.authorize})
	if err != nil {
		return fmt.Errorf("livy %s %s: %w", method, strings.SplitN(path, "?", 2)[0], err)
	}
	if !res.OK() {
		return &StatusError{Code: res.Status, Detail: detail(res.Body)}
	}
	if out == nil {
		return nil
	}
	if err := res.Decode(out); err != nil {
		return fmt.Errorf("livy %s %s: not the JSON it documents: %v", method, strings.SplitN(path, "?", 2)[0], err)
	}
	return nil
}

// authorize adds the credentials, and the header Livy's CSRF protection asks for on
// writes.
func (l *Livy) authorize(req *http.Request) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Requested-By", "matih")
	switch {
	case l.token != "":
		req.Header.Set("Authorization", "Bearer "+l.token)
	case l.user != "":
		req.SetBasicAuth(l.user, l.password)
	}
}

// detail is Livy's {"msg": ...} message, or the start of the body.
func detail(raw []byte) string {
	var m struct {
		Msg string `json:"msg"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Msg != "" {
		return m.Msg
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
