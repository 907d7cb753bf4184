package config

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parsed(t *testing.T, args ...string) *Worker {
	var w Worker
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	w.RegisterFlags(fs)
	require.NoError(t, fs.Parse(args))
	return &w
}

func TestDefaultsAreValid(t *testing.T) {
	w := parsed(t)
	require.NoError(t, w.Validate())
	assert.Equal(t, "iceberg/catalog.db", w.Catalog.URI, "relative: inside the data directory")
	assert.Equal(t, "staging", w.StagingURL)
	assert.Equal(t, "sql", w.Catalog.Type)
}

func TestBadSettingsNameTheFlag(t *testing.T) {
	cases := map[string][]string{
		"--rows-per-file": {"--rows-per-file", "10"},
		"--airflow-poll":  {"--airflow-poll", "1ms"},
		"--catalog-type":  {"--catalog-type", "hive"},
		"airflow-url":     {"--airflow-url", "ftp://x"},
		"airflow-api":     {"--airflow-url", "http://x", "--airflow-api", "v3"},
		"no password":     {"--catalog-uri", "postgres://u:pw@db/ice"},
		"key=value":       {"--catalog-uri", "host=db user=u"},
		"at most 20s":     {"--airflow-poll", "1m"},
		"http(s) URL":     {"--catalog-type", "rest", "--catalog-uri", "/tmp/x"},
		"--airflow-dags: with --airflow-url, name the DAGs": {"--airflow-url", "http://x"},
		"--airflow-dags: \"*\"":                             {"--airflow-url", "http://x", "--airflow-dags", "*"},
		"--iceberg-namespaces":                              {"--iceberg-namespaces", "a*b"},
	}
	for want, args := range cases {
		err := parsed(t, args...).Validate()
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
}

func TestSecretFromFile(t *testing.T) {
	path := t.TempDir() + "/pw"
	require.NoError(t, writeFile(path, "s3cret\n"))
	t.Setenv("MATIH_TEST_SECRET_FILE", path)
	v, err := Secret("MATIH_TEST_SECRET")
	require.NoError(t, err)
	assert.Equal(t, "s3cret", v)
	t.Setenv("MATIH_TEST_SECRET", "direct")
	v, _ = Secret("MATIH_TEST_SECRET")
	assert.Equal(t, "direct", v)
}
