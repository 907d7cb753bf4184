package channel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 2, 12, 6, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"86400":                         time.Hour, // bounded
		"Thu, 12 Feb 2026 06:00:30 GMT": 30 * time.Second,
		"Thu, 12 Feb 2026 05:00:00 GMT": 0, // in the past
	}
	for in, want := range cases {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFromHTTPClassifies(t *testing.T) {
	h := http.Header{"Retry-After": []string{"12"}}
	cases := []struct {
		status    int
		retryable bool
		after     time.Duration
		mentions  string
	}{
		{429, true, 12 * time.Second, "rate limited"},
		{500, true, 0, "service unavailable"},
		{503, true, 0, "503"},
		{408, true, 0, "408"},
		{400, false, 0, "rejected as invalid"},
		{401, false, 0, "credentials refused"},
		{403, false, 0, "credentials refused"},
		{404, false, 0, "not found"},
		{410, false, 0, "unexpected answer"},
	}
	for _, c := range cases {
		err := FromHTTP("slack", c.status, h, []byte("  invalid_blocks \n"), time.Now())
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("%d: got %v, want *Error", c.status, err)
		}
		if ce.Retryable != c.retryable || (c.retryable && ce.RetryAfter != c.after) {
			t.Errorf("%d: retryable=%v after=%s, want %v %s", c.status, ce.Retryable, ce.RetryAfter, c.retryable, c.after)
		}
		if !strings.Contains(ce.Error(), c.mentions) || !strings.HasPrefix(ce.Error(), "slack: ") {
			t.Errorf("%d: message %q should name the channel and say %q", c.status, ce.Error(), c.mentions)
		}
	}
	for _, ok := range []int{200, 202, 204} {
		if err := FromHTTP("pagerduty", ok, h, nil, time.Now()); err != nil {
			t.Errorf("%d: %v", ok, err)
		}
	}
}

func TestPostJSONKeepsEndpointOutOfErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	secretURL := srv.URL + "/services/T1/B1/s3cr3t-token"
	srv.Close() // connection refused from now on
	_, err := PostJSON(context.Background(), http.DefaultClient, "slack", secretURL, map[string]string{"text": "hi"})
	var ce *Error
	if !errors.As(err, &ce) || !ce.Retryable {
		t.Fatalf("transport failure should be retryable *Error, got %v", err)
	}
	if strings.Contains(err.Error(), "s3cr3t-token") || strings.Contains(err.Error(), "/services/") {
		t.Fatalf("error leaks the endpoint: %v", err)
	}
}
