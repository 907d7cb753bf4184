package contract

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnAllowListTakesNamesAndPrefixes(t *testing.T) {
	a, err := ParseAllowList("--airflow-dags", "enrich, matih_*")
	require.NoError(t, err)
	assert.True(t, a.Allows("enrich"))
	assert.True(t, a.Allows("matih_daily"))
	assert.False(t, a.Allows("enrich2"))
	assert.False(t, a.Allows("finance_payroll"))
	err = a.Check("transform_dag", "finance_payroll")
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "transform_dag", ve.Field)
	assert.Contains(t, err.Error(), "enrich, matih_*")

	_, err = ParseAllowList("--airflow-dags", "*")
	assert.ErrorContains(t, err, "not '*' alone")
	_, err = ParseAllowList("--airflow-dags", "a*b")
	assert.ErrorContains(t, err, "prefix ending in '*'")
	empty, err := ParseAllowList("--x", " , ")
	require.NoError(t, err)
	assert.True(t, empty.Empty())
}
