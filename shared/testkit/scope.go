package testkit

import (
	"os"
	"testing"
)

// Scope is a testing.TB whose cleanups run when Close is called rather than at the
// end of the test: a benchmark that measures two stacks one after the other stops
// the first stack's server and workers before the second one starts, so neither
// runs beside the other.
type Scope struct {
	testing.TB
	cleanups []func()
}

// NewScope is a scope within t; call Close (deferred) to run what it registered.
func NewScope(t testing.TB) *Scope { return &Scope{TB: t} }

// Cleanup registers f to run at Close, last registered first.
func (s *Scope) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

// Setenv sets key for the scope's life, restoring its earlier value at Close.
func (s *Scope) Setenv(key, value string) {
	prev, had := os.LookupEnv(key)
	if err := os.Setenv(key, value); err != nil {
		s.Fatalf("setenv %s: %v", key, err)
	}
	s.Cleanup(func() {
		if had {
			_ = os.Setenv(key, prev)
		} else {
			_ = os.Unsetenv(key)
		}
	})
}

// Close runs the registered cleanups, last first.
func (s *Scope) Close() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}
