package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"

	"golang.org/x/time/rate"
)

// CodeRateLimited is the error code of a request over its token's rate.
const CodeRateLimited = "rate_limited"

// Default per-token limits: every GET /v1/approvals builds up to 500 status
// documents on the server the workers share, so one token's loop must not drain it.
const (
	DefaultRatePerSecond = 20
	DefaultBurst         = 100
)

// limiters holds one token bucket per token name.
type limiters struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	by    map[string]*rate.Limiter
}

func newLimiters(perSecond float64, burst int) *limiters {
	if perSecond <= 0 {
		perSecond = DefaultRatePerSecond
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	return &limiters{rate: rate.Limit(perSecond), burst: burst, by: map[string]*rate.Limiter{}}
}

// allow takes one request of name's bucket, or answers 429 with Retry-After.
func (l *limiters) allow(w http.ResponseWriter, r *http.Request, name string) bool {
	l.mu.Lock()
	lim, ok := l.by[name]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.by[name] = lim
	}
	l.mu.Unlock()
	res := lim.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		writeError(w, r, fail(http.StatusTooManyRequests, CodeRateLimited, "token "+name+" sent more than "+
			strconv.FormatFloat(float64(l.rate), 'g', -1, 64)+" requests a second: wait as Retry-After says"))
		return false
	}
	return true
}
