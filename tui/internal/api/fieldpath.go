package api

import (
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// unknownFieldPath finds where in body the unknown field name sits, as a dotted
// path ("source.host"), by walking the JSON alongside the Go type it decodes into:
// encoding/json names only the key, which is ambiguous in nested bodies.
func unknownFieldPath(body []byte, t reflect.Type, name string) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return name
	}
	if p, ok := walkUnknown(v, t, ""); ok {
		return p
	}
	return name
}

func walkUnknown(v any, t reflect.Type, at string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return "", false
		}
		for i, e := range x {
			if p, ok := walkUnknown(e, t.Elem(), at+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return "", false
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := strings.TrimPrefix(at+"."+k, ".")
			ft, ok := jsonField(t, k)
			if !ok {
				return p, true
			}
			if q, ok := walkUnknown(x[k], ft, p); ok {
				return q, true
			}
		}
	}
	return "", false
}

// jsonField finds the struct field a JSON key decodes into, case-insensitively as
// encoding/json does.
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f.Type, true
		}
	}
	return nil, false
}
