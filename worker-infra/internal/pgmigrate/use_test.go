package pgmigrate

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestAMigrationRefusesExtractionsLogin: a connection that does not say it is for
// migrations is extraction's read-only login; a migration on it is refused before
// anything is dialled (the address here answers nothing).
func TestAMigrationRefusesExtractionsLogin(t *testing.T) {
	b := &Backend{Connections: testkit.Connections(t, testkit.PostgresConn("reader", "postgres://etl_read@127.0.0.1:1/sales"))}
	cfg := contract.MigrationConfig{MigrationID: "m_use", Target: contract.TargetPostgres, Connection: "reader", Table: "orders",
		Statements: []string{"ALTER TABLE orders ADD COLUMN note text"}}
	err := b.Validate(context.Background(), cfg)
	var v *contract.ValidationError
	require.ErrorAs(t, err, &v)
	assert.Equal(t, "connection", v.Field)
	assert.Contains(t, err.Error(), "a connection for migrate (use: [migrate]); reader is for extract")
}
