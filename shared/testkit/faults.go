package testkit

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// FaultProxy stands between clients and an HTTP server. While a fault is on it
// answers every request itself with the fault's status, as an overloaded or failing
// service does; otherwise it passes requests through unchanged.
type FaultProxy struct {
	URL     string
	mu      sync.Mutex
	code    int
	until   time.Time
	refused atomic.Int64
}

// StartFaultProxy proxies to target (a base URL) and stops when the test ends.
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("testkit: fault proxy target %q: %v", target, err)
	}
	p := &FaultProxy{}
	next := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code := p.fault(); code != 0 {
			p.refused.Add(1)
			if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			http.Error(w, http.StatusText(code), code)
			return
		}
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Fail answers every request with code for the next d.
func (p *FaultProxy) Fail(code int, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.code, p.until = code, time.Now().Add(d)
}

// Refused is how many requests a fault answered.
func (p *FaultProxy) Refused() int64 { return p.refused.Load() }

func (p *FaultProxy) fault() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Now().Before(p.until) {
		return p.code
	}
	return 0
}
