package connections

import (
	"fmt"
	"regexp"

	"github.com/matih/ops/shared/contract"
)

var functionNameRe = regexp.MustCompile(`^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$`)

// What a connection is for (its use).
const (
	UseExtract = "extract" // read by extraction, in read-only transactions
	UseMigrate = "migrate" // changed by schema migrations
)

// MigrateSettings are what a migrate connection's owner allows beyond a statement
// on one table: each touches more than the table, so each is off by default.
type MigrateSettings struct {
	ForeignKeys bool `json:"foreign_keys,omitempty" yaml:"foreign_keys,omitempty"` // REFERENCES other tables
	RowSecurity bool `json:"row_security,omitempty" yaml:"row_security,omitempty"` // ENABLE/DISABLE/FORCE ROW LEVEL SECURITY
	Triggers    bool `json:"triggers,omitempty" yaml:"triggers,omitempty"`         // ENABLE/DISABLE TRIGGER
	// Functions are functions beyond the built-in allow-list that statements may
	// call here, by name (the database's own normalize_phone, or pg_sleep where a
	// slow statement is wanted): the operator vouches for each.
	Functions []string `json:"functions,omitempty" yaml:"functions,omitempty,flow"`
}

// MigrateAllows is the connection's migrate settings, all off when it has none.
func (c Connection) MigrateAllows() MigrateSettings {
	if c.Migrate == nil {
		return MigrateSettings{}
	}
	return *c.Migrate
}

func (c Connection) checkUse() error {
	if c.Migrate != nil && !c.For(UseMigrate) {
		return fmt.Errorf("connection %s: migrate: settings for migrations, on a connection with use: [migrate]", c.Name)
	}
	for i, f := range c.MigrateAllows().Functions {
		if !functionNameRe.MatchString(f) {
			return fmt.Errorf("connection %s: migrate.functions[%d]: expected a function name (lower case, optionally schema.name), got %q", c.Name, i, f)
		}
	}
	switch {
	case len(c.Use) > 1:
		return fmt.Errorf("connection %s: use: one of [extract] or [migrate], not both: give migrations a database login of their own, got %v", c.Name, c.Use)
	case len(c.Use) == 0 || c.Use[0] == UseExtract:
		return nil
	case c.Use[0] == UseMigrate && c.Kind == Postgres:
		return nil
	case c.Use[0] == UseMigrate:
		return fmt.Errorf("connection %s: use: migrate is for postgres connections, this one is %s", c.Name, c.Kind)
	}
	return fmt.Errorf("connection %s: use: expected [extract] or [migrate], got %q", c.Name, c.Use[0])
}

// For tells whether the connection is for use (UseExtract or UseMigrate); one that
// does not say is for extraction.
func (c Connection) For(use string) bool {
	if len(c.Use) == 0 {
		return use == UseExtract
	}
	return c.Use[0] == use
}

// RequireFor refuses, as a ValidationError naming field, a connection that is not
// for use: a migration never runs on extraction's login, and extraction never reads
// through a login that may change schemas.
func (c Connection) RequireFor(field, use string) error {
	if c.For(use) {
		return nil
	}
	other := UseMigrate
	if use == UseMigrate {
		other = UseExtract
	}
	return contract.Invalid(field, "a connection for %s (use: [%s]); %s is for %s", use, use, c.Name, other)
}
