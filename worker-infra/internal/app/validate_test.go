package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSettingsAreCheckedBeforeConnecting(t *testing.T) {
	assert.NoError(t, (&Config{CatalogURI: DefaultCatalogURI, Warehouse: DefaultWarehouse}).Validate())
	assert.ErrorContains(t, (&Config{CatalogURI: "postgres://u:pw@db/ice", Warehouse: "w"}).Validate(), "no password")
	assert.ErrorContains(t, (&Config{CatalogURI: "c.db", Warehouse: " "}).Validate(), "--warehouse")
}
