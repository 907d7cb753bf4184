package pgmigrate

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"

	"github.com/matih/ops/shared/contract"
)

// TestStatementErrorsThatPassAreRetried: a server shutting down or restarting
// (as a PostgreSQL restart under a running apply does) is tried again, while what a
// new attempt would meet again is a typed, non-retryable error.
func TestStatementErrorsThatPassAreRetried(t *testing.T) {
	cases := []struct {
		code string
		want string // "retry", "invalid", "denied" or "conflict"
	}{
		{"57P01", "retry"}, // admin_shutdown: a fast or smart stop
		{"57P02", "retry"}, // crash_shutdown
		{"57P03", "retry"}, // cannot_connect_now: starting up
		{"57P05", "retry"}, // idle_session_timeout
		{"57014", "retry"}, // query_canceled (statement_timeout)
		{"55P03", "retry"}, // lock_not_available
		{"40P01", "retry"}, // deadlock_detected
		{"08006", "retry"}, // connection_failure
		{"53300", "retry"}, // too_many_connections
		{"57P04", "conflict"},
		{"42P07", "conflict"},
		{"23505", "conflict"},
		{"42601", "invalid"},
		{"42501", "denied"},
		{"", "conflict"},
	}
	for _, c := range cases {
		err := classifyStatementErr(1, "public.orders", &pgconn.PgError{Code: c.code, Message: "m"})
		var (
			ve *contract.ValidationError
			pe *contract.PermissionDeniedError
			se *contract.SchemaConflictError
		)
		got := "retry"
		switch {
		case errors.As(err, &ve):
			got = "invalid"
		case errors.As(err, &pe):
			got = "denied"
		case errors.As(err, &se):
			got = "conflict"
		}
		assert.Equal(t, c.want, got, "SQLSTATE %q: %v", c.code, err)
		assert.Contains(t, err.Error(), "statements[1]", "SQLSTATE %q names the statement", c.code)
	}
}
