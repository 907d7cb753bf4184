package channel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/matih/ops/shared/jsonhttp"
)

// maxRetryAfter bounds a service's Retry-After so a bad header cannot park a
// notification for hours.
const maxRetryAfter = time.Hour

// PostJSON posts v as JSON to endpoint and classifies the answer: nil for 2xx, a
// Temporary error for 429 (with Retry-After), 408, 5xx and transport failures, a
// Permanent error for the other 4xx. Errors never contain the endpoint, which may
// itself be a secret (a Slack webhook URL is one).
func PostJSON(ctx context.Context, hc *http.Client, ch, endpoint string, v any) ([]byte, error) {
	res, err := jsonhttp.Do(ctx, hc, jsonhttp.Call{Method: http.MethodPost, URL: endpoint, Body: v, MaxBody: 64 << 10})
	var ee *jsonhttp.EncodeError
	var re *jsonhttp.RequestError
	switch {
	case errors.As(err, &ee):
		return nil, Permanent(ch, "encode request: %v", ee.Err)
	case errors.As(err, &re):
		return nil, Permanent(ch, "build request: invalid endpoint URL")
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, Temporary(ch, 0, "POST failed: %v", err)
	}
	return res.Body, FromHTTP(ch, res.Status, res.Header, res.Body, time.Now())
}

// FromHTTP classifies an HTTP answer as the fault table says.
func FromHTTP(ch string, status int, h http.Header, body []byte, now time.Time) error {
	if status >= 200 && status < 300 {
		return nil
	}
	detail := bodyDetail(body)
	code := fmt.Sprintf("%d %s", status, http.StatusText(status))
	switch {
	case status == http.StatusTooManyRequests:
		after := ParseRetryAfter(h.Get("Retry-After"), now)
		return Temporary(ch, after, "rate limited (%s, retry after %s)%s", code, after, detail)
	case status == http.StatusRequestTimeout || status >= 500:
		return Temporary(ch, 0, "service unavailable (%s)%s", code, detail)
	case status == http.StatusBadRequest:
		return Permanent(ch, "request rejected as invalid (%s)%s; not retried", code, detail)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Permanent(ch, "credentials refused (%s)%s; check the configured secret; not retried", code, detail)
	case status == http.StatusNotFound:
		return Permanent(ch, "endpoint not found (%s)%s; the URL or key is wrong or revoked; not retried", code, detail)
	default:
		return Permanent(ch, "unexpected answer (%s)%s; not retried", code, detail)
	}
}

// ParseRetryAfter reads a Retry-After header in seconds or as an HTTP date; 0 when
// absent or unreadable, so the retry policy's own backoff applies.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	return min(max(d, 0), maxRetryAfter)
}

// bodyDetail keeps the start of an error body on one line for the error message.
func bodyDetail(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" {
		return ""
	}
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return ": " + s
}
