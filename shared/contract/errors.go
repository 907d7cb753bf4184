package contract

import "fmt"

// Error type names that every retry policy treats as non-retryable. They match the Go
// type names below, which is also how the Temporal SDK names an activity's error type.
const (
	ErrTypeValidation       = "ValidationError"
	ErrTypePermissionDenied = "PermissionDeniedError"
	ErrTypeSchemaConflict   = "SchemaConflictError"
)

// ValidationError says which input field is wrong and what was expected.
type ValidationError struct {
	Field    string
	Expected string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Expected)
}

// Invalid builds a ValidationError; expected may use fmt verbs.
func Invalid(field, expected string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Expected: fmt.Sprintf(expected, args...)}
}

// PermissionDeniedError is returned when a backend refuses our credentials.
type PermissionDeniedError struct {
	System string
	Detail string
}

func (e *PermissionDeniedError) Error() string {
	return fmt.Sprintf("permission denied by %s: %s", e.System, e.Detail)
}

// SchemaConflictError is returned when data or a migration does not fit a table's schema.
type SchemaConflictError struct {
	Table  string
	Detail string
}

func (e *SchemaConflictError) Error() string {
	return fmt.Sprintf("schema conflict on %s: %s", e.Table, e.Detail)
}
