package partition

// Each attempt's error: a task's heartbeats carry the errors of its failed
// attempts, so a partition that fails for good can name them all.

import "github.com/matih/ops/shared/contract"

// keepAttemptErrors appends e, keeping the last contract.MaxAttemptErrors.
func keepAttemptErrors(errs []contract.AttemptError, e contract.AttemptError) []contract.AttemptError {
	errs = append(errs, e)
	return errs[max(0, len(errs)-contract.MaxAttemptErrors):]
}

// shortError keeps an attempt's error small in heartbeats and history.
func shortError(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
