package check

// Custom resources (the Temporal Worker Controller's) have no Go API type here: they
// are decoded as documents and checked against the OpenAPI schema of their
// CustomResourceDefinition, as the API server would check them.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// WorkerControllerModule is the Temporal Worker Controller release whose CRDs the
// resources in deploy/kubernetes/controller are checked against, fetched from the
// module proxy as a module (go mod download). It is pinned here, not in go.mod: its
// go.mod names a Temporal server pre-release the proxy does not serve, so requiring
// it would break this workspace's module graph.
const WorkerControllerModule = "github.com/temporalio/temporal-worker-controller@v1.8.1"

// WorkerControllerCRDs is where its CRDs are in the module.
const WorkerControllerCRDs = "helm/temporal-worker-controller-crds/templates"

// Custom is a custom resource as decoded: checked by ValidateCustom, not by a type.
type Custom map[string]any

// Schema is the part of a CRD's openAPIV3Schema the API server checks structurally.
type Schema struct {
	Type                 string             `json:"type"`
	Properties           map[string]*Schema `json:"properties"`
	Required             []string           `json:"required"`
	Items                *Schema            `json:"items"`
	AdditionalProperties json.RawMessage    `json:"additionalProperties"`
	Enum                 []any              `json:"enum"`
	Pattern              string             `json:"pattern"`
	MaxLength            *int               `json:"maxLength"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
	IntOrString          bool               `json:"x-kubernetes-int-or-string"`
	PreserveUnknown      bool               `json:"x-kubernetes-preserve-unknown-fields"`
}

// CRD is one CustomResourceDefinition's schema per served version.
type CRD struct {
	Group, Kind string
	Versions    map[string]*Schema
}

// LoadCRD reads a CustomResourceDefinition file.
func LoadCRD(path string) (CRD, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return CRD{}, err
	}
	var doc struct {
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Served bool   `json:"served"`
				Schema struct {
					OpenAPIV3Schema *Schema `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return CRD{}, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	crd := CRD{Group: doc.Spec.Group, Kind: doc.Spec.Names.Kind, Versions: map[string]*Schema{}}
	for _, v := range doc.Spec.Versions {
		if v.Served && v.Schema.OpenAPIV3Schema != nil {
			crd.Versions[v.Name] = v.Schema.OpenAPIV3Schema
		}
	}
	if crd.Kind == "" || len(crd.Versions) == 0 {
		return CRD{}, fmt.Errorf("%s: not a CustomResourceDefinition with a served schema", filepath.Base(path))
	}
	return crd, nil
}

// ValidateCustom checks a custom resource against its CRD: apiVersion and kind,
// then every field against the schema. An unknown field, a missing required one, a
// value of the wrong type or outside its enum is an error naming its path.
func ValidateCustom(crd CRD, obj Custom) []error {
	apiVersion, _ := obj["apiVersion"].(string)
	group, version, _ := strings.Cut(apiVersion, "/")
	if group != crd.Group || obj["kind"] != crd.Kind {
		return []error{fmt.Errorf("apiVersion %q kind %v: want %s/<version> %s", apiVersion, obj["kind"], crd.Group, crd.Kind)}
	}
	s, ok := crd.Versions[version]
	if !ok {
		return []error{fmt.Errorf("%s: version %q is not served (served: %v)", crd.Kind, version, keys(crd.Versions))}
	}
	var errs []error
	validate(string(crd.Kind), map[string]any(obj), s, &errs)
	return errs
}

func validate(path string, v any, s *Schema, errs *[]error) {
	fail := func(format string, args ...any) { *errs = append(*errs, fmt.Errorf(path+": "+format, args...)) }
	if v == nil || s == nil {
		return
	}
	if s.IntOrString {
		switch v.(type) {
		case string, float64:
		default:
			fail("expected an integer or a string, got %T", v)
		}
		return
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("expected an object, got %T", v)
			return
		}
		validateObject(path, m, s, errs)
	case "array":
		l, ok := v.([]any)
		if !ok {
			fail("expected an array, got %T", v)
			return
		}
		for i, e := range l {
			validate(fmt.Sprintf("%s[%d]", path, i), e, s.Items, errs)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("expected a string, got %T %v", v, v)
			return
		}
		if s.MaxLength != nil && len(str) > *s.MaxLength {
			fail("at most %d characters, got %d", *s.MaxLength, len(str))
		}
		if re, err := regexp.Compile(s.Pattern); s.Pattern != "" && err == nil && !re.MatchString(str) {
			fail("%q does not match %s", str, s.Pattern)
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok || (s.Type == "integer" && f != math.Trunc(f)) {
			fail("expected an %s, got %T %v", s.Type, v, v)
			return
		}
		if (s.Minimum != nil && f < *s.Minimum) || (s.Maximum != nil && f > *s.Maximum) {
			fail("%v is out of range", f)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("expected a boolean, got %T", v)
		}
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		fail("%v is not one of %v", v, s.Enum)
	}
}

func validateObject(path string, m map[string]any, s *Schema, errs *[]error) {
	for _, r := range s.Required {
		if _, ok := m[r]; !ok {
			*errs = append(*errs, fmt.Errorf("%s.%s: required", path, r))
		}
	}
	var extra *Schema
	open := s.PreserveUnknown || (s.Properties == nil && len(s.AdditionalProperties) == 0)
	if len(s.AdditionalProperties) > 0 && string(s.AdditionalProperties) != "false" {
		open = string(s.AdditionalProperties) == "true"
		if !open {
			extra = &Schema{}
			if err := json.Unmarshal(s.AdditionalProperties, extra); err != nil {
				*errs = append(*errs, fmt.Errorf("%s: the CRD's additionalProperties: %w", path, err))
				return
			}
		}
	}
	for _, k := range keys(m) {
		switch p, ok := s.Properties[k]; {
		case ok:
			validate(path+"."+k, m[k], p, errs)
		case extra != nil:
			validate(path+"."+k, m[k], extra, errs)
		case !open:
			*errs = append(*errs, fmt.Errorf("%s.%s: unknown field", path, k))
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
