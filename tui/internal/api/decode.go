package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
)

// MaxBodyBytes is the largest request body taken; a bigger one is answered 413.
const MaxBodyBytes = 1 << 20

// readBody reads at most MaxBodyBytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge()
	case err != nil:
		return nil, badRequest("", "reading the body: "+err.Error())
	}
	return body, nil
}

func tooLarge() *apiError {
	return fail(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes))
}

// DecodeStrict decodes one JSON object into v, refusing unknown fields, wrong types
// and trailing data. Errors are 400s naming the field, prefixed with prefix
// ("data." for a signal's payload), so a caller can fix the one thing at fault.
func DecodeStrict(body []byte, prefix string, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest(strings.TrimSuffix(prefix, "."), "expected a JSON object, got an empty body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(body, prefix, v, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("", "expected one JSON object, got more after it")
	}
	return nil
}

// decodeError turns encoding/json's errors into a 400 that names the field.
func decodeError(body []byte, prefix string, v any, err error) *apiError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return badRequest(prefix+te.Field, fmt.Sprintf("%s%s: expected %s, got %s", prefix, te.Field, te.Type, te.Value))
	case errors.As(err, &te):
		return badRequest(strings.TrimSuffix(prefix, "."), fmt.Sprintf("expected a JSON object, got %s", te.Value))
	case errors.As(err, &se):
		return badRequest("", fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, se))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "not valid JSON: the body ends early")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = fieldName(unknownFieldPath(body, reflect.TypeOf(v), strings.Trim(name, `"`)))
		return badRequest(prefix+name, fmt.Sprintf("%s%s: unknown field", prefix, name))
	}
	// A field's own decoder failed (a duration, for one) without saying which field:
	// find the top-level key that fails alone.
	field := badTopLevelField(body, v)
	msg := err.Error()
	if field != "" {
		msg = prefix + field + ": " + msg
		field = prefix + field
	}
	return badRequest(field, msg)
}

// badTopLevelField decodes each top-level key of body alone into a fresh value of
// v's type and names the first (in sorted order) that fails.
func badTopLevelField(body []byte, v any) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return ""
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if json.Unmarshal(one, newLike(v)) != nil {
			return k
		}
	}
	return ""
}

// newLike returns a new zero value of the type v points to.
func newLike(v any) any { return reflect.New(reflect.TypeOf(v).Elem()).Interface() }
