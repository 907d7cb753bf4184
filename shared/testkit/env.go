package testkit

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// EnvInt is the integer in the environment variable name (a benchmark's size), or
// def when it is unset. A value that is not a whole number of at least min stops
// the test, naming the variable, rather than quietly measuring the default.
func EnvInt(t testing.TB, name string, def, min int) int {
	t.Helper()
	raw, ok := os.LookupEnv(name)
	if !ok || raw == "" {
		return def
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < min {
		t.Fatalf("%s: expected a whole number of at least %d, got %q", name, min, raw)
	}
	return v
}

// QuantileMs is the q-quantile (0.5 for the median) of measured durations, in
// milliseconds, by the nearest rank below; d is not reordered.
func QuantileMs(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return float64(s[int(q*float64(len(s)-1))]) / float64(time.Millisecond)
}
