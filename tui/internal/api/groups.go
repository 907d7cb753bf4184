package api

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/matih/ops/shared/contract"
)

// GroupPrefix marks an approvers entry that names a group of the groups file.
const GroupPrefix = "group:"

// Groups are the approver groups the operator keeps in one file
// (groups: {data-oncall: [ana@matih, bob@matih]}). The server that starts a run
// expands `group:NAME` in its approvers into the members, so the run's input names
// the people who may decide it, and the workflow checks the approver against them.
// A run keeps the membership of its start.
type Groups map[string][]string

var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// LoadGroups reads and checks the groups file.
func LoadGroups(path string) (Groups, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("groups file: %w", err)
	}
	var doc struct {
		Groups map[string][]string `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("groups file %s: %w", path, err)
	}
	for name, members := range doc.Groups {
		if !groupName.MatchString(name) {
			return nil, fmt.Errorf("groups file %s: groups.%s: expected a name of letters, digits, '.', '_' or '-'", path, name)
		}
		if len(members) == 0 {
			return nil, fmt.Errorf("groups file %s: groups.%s: a group needs at least one member", path, name)
		}
		for i, m := range members {
			if strings.TrimSpace(m) == "" || strings.HasPrefix(m, GroupPrefix) || len(m) > contract.MaxApproverBytes {
				return nil, fmt.Errorf("groups file %s: groups.%s[%d]: expected a person's identity (groups do not nest), got %q", path, name, i, m)
			}
		}
	}
	return Groups(doc.Groups), nil
}

// Expand replaces each `group:NAME` of approvers with its members, each identity once.
func (g Groups) Expand(approvers []string) ([]string, error) {
	var out []string
	add := func(id string) {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for i, a := range approvers {
		name, isGroup := strings.CutPrefix(a, GroupPrefix)
		switch {
		case !isGroup:
			add(a)
		case g == nil:
			return nil, contract.Invalid(fmt.Sprintf("approvers[%d]", i), "%s names a group, and this server has no groups file (--groups or MATIH_GROUPS)", a)
		case g[name] == nil:
			return nil, contract.Invalid(fmt.Sprintf("approvers[%d]", i), "%s is not a group of the groups file", a)
		default:
			for _, m := range g[name] {
				add(m)
			}
		}
	}
	return out, nil
}
