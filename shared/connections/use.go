package connections

import (
	"fmt"

	"github.com/matih/ops/shared/contract"
)

// What a connection is for (its use).
const (
	UseExtract = "extract" // read by extraction, in read-only transactions
	UseMigrate = "migrate" // changed by schema migrations
)

func (c Connection) checkUse() error {
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
