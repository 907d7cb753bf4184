package jsonhttp

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestACallSendsJSONAndReadsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		assert.Equal(t, "Bearer t", r.Header.Get("Authorization"))
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"a":1}`, string(b))
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"detail":"exists"}`))
	}))
	defer srv.Close()
	res, err := Do(context.Background(), srv.Client(), Call{Method: http.MethodPost, URL: srv.URL, Body: map[string]int{"a": 1},
		Prepare: func(r *http.Request) { r.Header.Set("Authorization", "Bearer t") }})
	require.NoError(t, err, "a 409 is an answer, not an error")
	assert.False(t, res.OK())
	assert.Equal(t, http.StatusConflict, res.Status)
	var out struct{ Detail string }
	require.NoError(t, res.Decode(&out))
	assert.Equal(t, "exists", out.Detail)
}

func TestAnEndlessAnswerIsCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Empty(t, r.Header.Get("Content-Type"), "no body, no content type")
		_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	defer srv.Close()
	res, err := Do(context.Background(), srv.Client(), Call{Method: http.MethodGet, URL: srv.URL, MaxBody: 100})
	require.NoError(t, err)
	assert.True(t, res.OK())
	assert.Len(t, res.Body, 100)
}

func TestABodyThatDoesNotEncodeIsAnEncodeError(t *testing.T) {
	_, err := Do(context.Background(), http.DefaultClient, Call{Method: http.MethodPost, URL: "http://127.0.0.1:1", Body: math.NaN()})
	var ee *EncodeError
	require.True(t, errors.As(err, &ee), "got %v", err)
}

func TestNoAnswerIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := Do(context.Background(), http.DefaultClient, Call{Method: http.MethodGet, URL: url})
	require.Error(t, err)
}

func TestAMalformedURLIsARequestError(t *testing.T) {
	_, err := Do(context.Background(), http.DefaultClient, Call{Method: http.MethodGet, URL: "http://[::1"})
	var re *RequestError
	require.True(t, errors.As(err, &re), "got %v", err)
}
