package testkit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Resident is a process's resident memory now (VmRSS) and at its peak (VmHWM), in
// bytes, read from /proc: what the operating system charges the worker, heap and
// everything else.
func Resident(t testing.TB, pid int) (now, peak int64) {
	t.Helper()
	now, peak, err := ReadResident(pid)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return now, peak
}

// ReadResident is Resident for callers that carry on when the process is gone.
func ReadResident(pid int) (now, peak int64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("memory of process %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || (f[0] != "VmRSS:" && f[0] != "VmHWM:") {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %w", pid, f[0], err)
		}
		if f[0] == "VmRSS:" {
			now = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return now, peak, nil
}
