// Package channelfakes are local servers that follow the published contracts of Slack
// incoming webhooks, the PagerDuty Events API v2 and SMTP, error answers included, so
// the channels are tested against real protocol exchanges.
package channelfakes

import (
	"net/http"
	"strconv"
	"sync"
)

// Answer is a scripted reply; the zero Answer means "behave normally".
type Answer struct {
	Status     int
	RetryAfter int // seconds, sent with 429
}

// script hands out scripted answers in order, then normal behaviour.
type script struct {
	mu      sync.Mutex
	answers []Answer
}

// Push queues answers for the next requests.
func (s *script) Push(a ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers = append(s.answers, a...)
}

func (s *script) next() Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.answers) == 0 {
		return Answer{}
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a
}

func writeRetryAfter(w http.ResponseWriter, a Answer) {
	if a.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.RetryAfter))
	}
}
