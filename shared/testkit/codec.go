package testkit

import (
	"os"
	"testing"

	"go.temporal.io/sdk/converter"

	"github.com/matih/ops/shared/codec"
)

// dataConverter is what the test's clients encode with: with MATIH_CODEC_KEYS set
// (a test that runs its processes with encryption on sets it), the codec's, so the
// test reads and writes what the workers do; otherwise nil, the SDK's default.
func dataConverter(t testing.TB) converter.DataConverter {
	paths := os.Getenv(codec.EnvKeys)
	if paths == "" {
		return nil
	}
	ring, err := codec.LoadRing(paths)
	if err != nil {
		t.Fatalf("testkit: %s: %v", codec.EnvKeys, err)
	}
	return codec.DataConverter(ring)
}

// CodecKeys writes a fresh key file (0600) for a test and sets MATIH_CODEC_KEYS to
// it, so the dev servers' clients started after it, and every process the test
// starts, encrypt every payload.
func CodecKeys(t testing.TB) string {
	line, err := codec.NewKey("test")
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/codec.keys"
	if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(codec.EnvKeys, path)
	return path
}
