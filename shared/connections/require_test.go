package connections

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matih/ops/shared/contract"
)

func TestRequireKnownNamesTheFieldAndTheKnownConnections(t *testing.T) {
	r, err := New(Connection{Name: "orders", Kind: SQLite, Path: "/data/orders.db"}, Connection{Name: "sales", Kind: Postgres, DSN: "postgres://etl@db/sales", Use: []string{UseMigrate}})
	require.NoError(t, err)
	cases := []struct {
		name, field string
		input       any
	}{
		{"pipeline", "source.connection", contract.PipelineConfig{Source: contract.SourceConfig{Connection: "missing", Table: "t"}}},
		{"backfill", "source.connection", contract.BackfillConfig{Source: contract.SourceConfig{Connection: "orders; DROP TABLE x"}}},
		{"migration", "connection", contract.MigrationConfig{Connection: "nope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := r.RequireKnown(c.input)
			var ve *contract.ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, c.field, ve.Field)
			assert.Contains(t, err.Error(), "a connection the workers define (orders, sales), got", "the known names are listed")
		})
	}
	assert.NoError(t, r.RequireKnown(contract.PipelineConfig{Source: contract.SourceConfig{Connection: "orders"}}))
	assert.NoError(t, r.RequireKnown(contract.MigrationConfig{Connection: "sales"}))
	assert.NoError(t, r.RequireKnown(contract.MigrationConfig{Target: contract.TargetIceberg}), "no name: left to the config's own checks")
	assert.NoError(t, r.RequireKnown(contract.MaintenanceConfig{}), "names no connection")
	var none *Registry
	assert.NoError(t, none.RequireKnown(contract.MigrationConfig{Connection: "nope"}), "no registry, no check")
}
