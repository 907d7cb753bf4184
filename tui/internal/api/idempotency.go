package api

import (
	"crypto/sha256"
	"net/http"
	"regexp"
	"sync"
	"time"
)

// An Idempotency-Key is remembered this long, for at most this many keys, by one
// `matih serve` process.
const (
	IdempotencyTTL     = 24 * time.Hour
	IdempotencyMaxKeys = 10000
)

// HeaderIdempotencyKey makes a retried start answer the first start.
const HeaderIdempotencyKey = "Idempotency-Key"

var idemKeyRe = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

// startAnswer is the 202 body of a start.
type startAnswer struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	Status     string `json:"status"`
}

// idemStore remembers successful starts by (caller, key), with a fingerprint of the
// request so that a key reused for another request is refused instead of replayed.
type idemStore struct {
	mu  sync.Mutex
	ttl time.Duration
	max int
	m   map[string]*idemEntry
}

type idemEntry struct {
	fp     [32]byte
	at     time.Time
	done   chan struct{}
	answer *startAnswer
}

func newIdemStore(ttl time.Duration, max int) *idemStore {
	return &idemStore{ttl: ttl, max: max, m: map[string]*idemEntry{}}
}

func fingerprint(r *http.Request, body []byte) [32]byte {
	return sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
}

// begin returns the key's entry and whether the caller leads (must start, then
// finish). A follower waits for done and replays the answer.
func (s *idemStore) begin(key string, fp [32]byte, now time.Time) (*idemEntry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok && now.Sub(e.at) < s.ttl {
		if e.fp != fp {
			return nil, false, fail(http.StatusConflict, CodeConflict, "Idempotency-Key already used for a different request")
		}
		return e, false, nil
	}
	if len(s.m) >= s.max {
		s.evict(now)
	}
	e := &idemEntry{fp: fp, at: now, done: make(chan struct{})}
	s.m[key] = e
	return e, true, nil
}

// finish records the leader's answer; without one (the start failed) the key is
// forgotten, so a retry may start.
func (s *idemStore) finish(key string, e *idemEntry, answer *startAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.answer = answer
	if answer == nil && s.m[key] == e {
		delete(s.m, key)
	}
	close(e.done)
}

// evict drops expired keys, then, if still full, any finished one.
func (s *idemStore) evict(now time.Time) {
	for k, e := range s.m {
		if now.Sub(e.at) >= s.ttl {
			delete(s.m, k)
		}
	}
	for k, e := range s.m {
		if len(s.m) < s.max {
			return
		}
		select {
		case <-e.done:
			delete(s.m, k)
		default:
		}
	}
}
