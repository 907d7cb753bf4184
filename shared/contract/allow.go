package contract

import (
	"fmt"
	"strings"
)

// AllowList is a worker setting naming what workflow input may pick: exact names,
// or prefixes ending in '*' (`matih_*`). Input outside it is a ValidationError that
// names the field and lists what is allowed.
type AllowList struct {
	entries []string
}

// ParseAllowList reads a comma-separated list; flag names the setting in errors.
func ParseAllowList(flag, list string) (AllowList, error) {
	var a AllowList
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(strings.TrimSuffix(e, "*"), "*") || e == "*" {
			return a, fmt.Errorf("%s: %q: expected a name or a prefix ending in '*' (and not '*' alone: name what may be used)", flag, e)
		}
		a.entries = append(a.entries, e)
	}
	return a, nil
}

// Empty tells whether the list names nothing.
func (a AllowList) Empty() bool { return len(a.entries) == 0 }

// Allows tells whether name is on the list.
func (a AllowList) Allows(name string) bool {
	for _, e := range a.entries {
		if p, ok := strings.CutSuffix(e, "*"); ok && strings.HasPrefix(name, p) || e == name {
			return true
		}
	}
	return false
}

// Check refuses a name the list does not allow, naming field and the list.
func (a AllowList) Check(field, name string) error {
	if a.Allows(name) {
		return nil
	}
	return Invalid(field, "one this worker allows (%s), got %q", strings.Join(a.entries, ", "), name)
}

// String is the list as it was given.
func (a AllowList) String() string { return strings.Join(a.entries, ",") }

// CheckNamespace refuses an Iceberg table ("namespace.table") whose namespace the
// list does not allow; an empty list allows every namespace.
func CheckNamespace(a AllowList, field, table string) error {
	if a.Empty() {
		return nil
	}
	i := strings.LastIndex(table, ".")
	if i <= 0 {
		return Invalid(field, "namespace.table, got %q", table)
	}
	if !a.Allows(table[:i]) {
		return Invalid(field, "a table in a namespace this worker writes (%s), got %q", a.String(), table)
	}
	return nil
}
