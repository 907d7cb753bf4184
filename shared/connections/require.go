package connections

import (
	"strings"

	"github.com/matih/ops/shared/contract"
)

// named is one connection a workflow input names, with the field that names it.
type named struct{ field, name, use string }

// namedIn lists the connections a start's input names.
func namedIn(input any) []named {
	switch c := input.(type) {
	case contract.PipelineConfig:
		return []named{{"source.connection", c.Source.Connection, UseExtract}}
	case contract.BackfillConfig:
		return []named{{"source.connection", c.Source.Connection, UseExtract}}
	case contract.MigrationConfig:
		return []named{{"connection", c.Connection, UseMigrate}}
	}
	return nil
}

// RequireKnown refuses a workflow input that names a connection r does not
// define, or one that is not for the input's use (RequireFor), naming the field and the connections r has (never where r was read
// from: the Pipeline Service answers untrusted callers). The console and the
// Pipeline Service run it before a start when they are given the workers'
// connections file, so a name no worker has starts nothing; without the file the
// worker refuses it at the run's first step, and a nil r checks nothing. An empty
// name is left to the input's own validation.
func (r *Registry) RequireKnown(input any) error {
	if r == nil {
		return nil
	}
	for _, n := range namedIn(input) {
		if n.name == "" {
			continue
		}
		c, ok := r.byName[n.name]
		if !ok {
			known := "none"
			if names := r.Names(); len(names) > 0 {
				known = strings.Join(names, ", ")
			}
			return contract.Invalid(n.field, "a connection the workers define (%s), got %q", known, n.name)
		}
		if err := c.RequireFor(n.field, n.use); err != nil {
			return err
		}
	}
	return nil
}
