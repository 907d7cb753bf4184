// Package jsonhttp is the one JSON-over-HTTP call the workers' clients make (Airflow,
// Livy, the notification channels): encode the body, send it, read a bounded
// answer. Each client keeps its own reading of statuses and its own errors; this
// package only does what they all did alike.
package jsonhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBody bounds how much of an answer is read: a service that answers with
// an endless body must not exhaust the worker's memory.
const DefaultMaxBody = 1 << 20

// Call is one request. Body, when not nil, is sent as JSON. Prepare, when set, adds
// what the service asks for (authorization, CSRF headers) before the request goes.
type Call struct {
	Method  string
	URL     string
	Body    any
	Prepare func(*http.Request)
	MaxBody int64 // 0 means DefaultMaxBody
}

// Response is a service's answer, its body cut at the call's MaxBody.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK tells whether the status is 2xx.
func (r Response) OK() bool { return r.Status/100 == 2 }

// Decode reads the answer's JSON into out.
func (r Response) Decode(out any) error { return json.Unmarshal(r.Body, out) }

// EncodeError is a body that could not be encoded: a caller's bug, never worth a retry.
type EncodeError struct{ Err error }

func (e *EncodeError) Error() string { return "encode request: " + e.Err.Error() }
func (e *EncodeError) Unwrap() error { return e.Err }

// RequestError is a request that could not be built (a malformed URL, say). Its
// message holds the URL, which for some services is itself a secret.
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return "build request: " + e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// Do sends c with hc. An error means no answer arrived (or the request could not be
// built); any answer, 4xx and 5xx included, is a Response for the caller to read.
func Do(ctx context.Context, hc *http.Client, c Call) (Response, error) {
	var body io.Reader
	if c.Body != nil {
		b, err := json.Marshal(c.Body)
		if err != nil {
			return Response{}, &EncodeError{err}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL, body)
	if err != nil {
		return Response{}, &RequestError{err}
	}
	req.Header.Set("Accept", "application/json")
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Prepare != nil {
		c.Prepare(req)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return Response{}, fmt.Errorf("read answer: %w", err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}
