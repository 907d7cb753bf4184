package activities

import "go.temporal.io/sdk/temporal"

// nonRetryable marks an error no retry can fix, under a type name operators can
// search for in history.
func nonRetryable(err error, errType string) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errType, err)
}
