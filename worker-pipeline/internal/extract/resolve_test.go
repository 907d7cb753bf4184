package extract

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
	"github.com/matih/ops/shared/testkit"
)

// TestExtractionRefusesAMigrationLogin: a connection for migrations may change
// schemas, so no source reads through it.
func TestExtractionRefusesAMigrationLogin(t *testing.T) {
	reg := testkit.Connections(t, testkit.MigrateConn("owner", "postgres://etl_migrate@127.0.0.1:1/sales"))
	_, _, err := Resolve(reg, contract.SourceConfig{Connection: "owner", Table: "orders"})
	var v *contract.ValidationError
	require.ErrorAs(t, err, &v)
	assert.Equal(t, "source.connection", v.Field)
	assert.Contains(t, err.Error(), "owner is for migrate")
}
