// Package secret reads channel credentials from the environment or from files named
// by the environment, and scrubs them from any text that leaves the worker.
package secret

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// Load reads the secret NAME from $NAME or from the file named by $NAME_FILE; it
// returns "" when neither is set. The error names the variable, never the value.
func Load(name string) (string, error) {
	v, hasValue := os.LookupEnv(name)
	path, hasFile := os.LookupEnv(name + "_FILE")
	switch {
	case hasValue && hasFile:
		return "", fmt.Errorf("%s and %s_FILE are both set: set one", name, name)
	case hasFile:
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("%s_FILE: %s is empty", name, path)
		}
		return s, nil
	case hasValue:
		return strings.TrimSpace(v), nil
	}
	return "", nil
}

// Redactor replaces every registered secret in a text with "[redacted]".
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// Add registers values to scrub; short values are ignored so that scrubbing does
// not mangle ordinary words.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) >= 6 {
			r.secrets = append(r.secrets, v)
		}
	}
}

// String returns s with every secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}
