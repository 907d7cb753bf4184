package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"unicode"

	"github.com/matih/ops/shared/contract"
)

// Error codes of the one error shape {"error": {"code", "message", "field"}}.
const (
	CodeBadRequest       = "bad_request"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeConflict         = "conflict"
	CodeTooLarge         = "payload_too_large"
	CodeUnavailable      = "unavailable"
	CodeBadGateway       = "bad_gateway"
)

// RetryAfter is what a 503 tells the caller to wait, in seconds: about one dial.
const RetryAfter = 5

// ErrorBody is the one shape every error answer has.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong; Field names the body field, query parameter or
// header at fault when there is one.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// apiError is an error that already knows its HTTP answer.
type apiError struct {
	status int
	detail ErrorDetail
}

func (e *apiError) Error() string { return e.detail.Message }

func badRequest(field, msg string) *apiError {
	return &apiError{http.StatusBadRequest, ErrorDetail{Code: CodeBadRequest, Message: msg, Field: field}}
}

func fail(status int, code, msg string) *apiError {
	return &apiError{status, ErrorDetail{Code: code, Message: msg}}
}

// toAPIError maps an error to its answer: the API's own, a contract validation error
// (400 naming the field), or a Backend's marked failure.
func toAPIError(err error) *apiError {
	var ae *apiError
	var ve *contract.ValidationError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ve):
		return badRequest(ve.Field, err.Error())
	case errors.Is(err, ErrNotFound):
		return fail(http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, ErrConflict):
		return fail(http.StatusConflict, CodeConflict, err.Error())
	case errors.Is(err, ErrUnavailable):
		return fail(http.StatusServiceUnavailable, CodeUnavailable, err.Error())
	case errors.Is(err, ErrInvalid):
		return badRequest("", err.Error())
	}
	return fail(http.StatusBadGateway, CodeBadGateway, err.Error())
}

// quote renders a caller's value in an error message: cut to n characters and
// quoted with Go escapes, so terminal controls and bidi overrides echo as text.
func quote(s string, n int) string { return strconv.Quote(contract.Trunc(s, n)) }

// fieldName is a field path as an error names it: as it is when every character is
// printable, quoted (and cut) otherwise, so a hostile key echoes as text.
func fieldName(p string) string {
	for _, r := range p {
		if !unicode.IsGraphic(r) || r == unicode.ReplacementChar {
			return quote(p, 128)
		}
	}
	return contract.Trunc(p, 128)
}

// writeError answers err in the one error shape; a 503 carries Retry-After.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	if rec := recordOf(r); rec != nil {
		rec.err = ae
	}
	if ae.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfter))
	}
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="matih"`)
	}
	writeJSON(w, ae.status, ErrorBody{Error: ae.detail})
}

// writeJSON encodes v as `matih ... -o json` does (two-space indent, trailing
// newline), so the status document is byte for byte the CLI's.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
