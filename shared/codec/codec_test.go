package codec

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
)

func key(t *testing.T, id string) Key {
	line, err := NewKey(id)
	require.NoError(t, err)
	secret, err := base64.StdEncoding.DecodeString(strings.Fields(line)[1])
	require.NoError(t, err)
	return Key{ID: id, Secret: secret}
}

type row struct {
	Email string `json:"email"`
}

func TestAPayloadShowsNothingOfItsValueAndRoundTrips(t *testing.T) {
	ring, err := NewRing(key(t, "k1"))
	require.NoError(t, err)
	dc := DataConverter(ring)
	p, err := dc.ToPayload(row{Email: "ana@example.com"})
	require.NoError(t, err)
	assert.Equal(t, Encoding, string(p.Metadata[converter.MetadataEncoding]))
	assert.Equal(t, "k1", string(p.Metadata[MetadataKeyID]))
	assert.NotContains(t, string(p.Data), "ana@example.com")
	var back row
	require.NoError(t, dc.FromPayload(p, &back))
	assert.Equal(t, "ana@example.com", back.Email)
}

func TestTheNewestKeyEncryptsAndEveryListedKeyDecrypts(t *testing.T) {
	k1, k2 := key(t, "k1"), key(t, "k2")
	old, err := NewRing(k1)
	require.NoError(t, err)
	underK1, err := DataConverter(old).ToPayload("approved by ana")
	require.NoError(t, err)

	rotated, err := NewRing(k1, k2)
	require.NoError(t, err)
	var s string
	require.NoError(t, DataConverter(rotated).FromPayload(underK1, &s), "a payload under k1 still reads")
	assert.Equal(t, "approved by ana", s)
	underK2, err := DataConverter(rotated).ToPayload("x")
	require.NoError(t, err)
	assert.Equal(t, "k2", string(underK2.Metadata[MetadataKeyID]))

	retired, err := NewRing(k2)
	require.NoError(t, err)
	err = DataConverter(retired).FromPayload(underK1, &s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `key "k1", which is not among the configured keys (k2)`)
}

func TestPlainPayloadsWrittenBeforeEncryptionStillRead(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload("before")
	require.NoError(t, err)
	ring, err := NewRing(key(t, "k1"))
	require.NoError(t, err)
	var s string
	require.NoError(t, DataConverter(ring).FromPayload(plain, &s))
	assert.Equal(t, "before", s)
}

func TestAnAlteredPayloadIsRefused(t *testing.T) {
	ring, err := NewRing(key(t, "k1"))
	require.NoError(t, err)
	p, err := DataConverter(ring).ToPayload("x")
	require.NoError(t, err)
	p.Data[len(p.Data)-1] ^= 1
	var s string
	assert.ErrorContains(t, DataConverter(ring).FromPayload(p, &s), "does not decrypt")
}

func TestKeyFilesAreCheckedWithClearErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), mode))
		return p
	}
	l1, _ := NewKey("2026-11")
	l2, _ := NewKey("2026-12")
	good := write("keys", "# rotated monthly\n"+l1+"\n\n"+l2+"\n", 0o600)
	ring, err := LoadRing(good)
	require.NoError(t, err)
	assert.Equal(t, []string{"2026-11", "2026-12"}, ring.KeyIDs())

	_, err = LoadRing(write("open", l1+"\n", 0o644))
	assert.ErrorContains(t, err, "readable by others")
	_, err = LoadRing(write("bad", "k1 not-base64!\n", 0o600))
	assert.ErrorContains(t, err, "line 1: expected `ID BASE64-32-BYTES`")
	_, err = LoadRing(write("short", "k1 "+base64.StdEncoding.EncodeToString([]byte("short"))+"\n", 0o600))
	assert.ErrorContains(t, err, "expected 32 bytes")
	_, err = LoadRing(write("twice", l1+"\n"+l1+"\n", 0o600))
	assert.ErrorContains(t, err, "listed twice")
	_, err = LoadRing(filepath.Join(dir, "missing"))
	assert.ErrorContains(t, err, "--codec-keys")
	_, err = LoadRing(write("empty", "# nothing\n", 0o600))
	assert.ErrorContains(t, err, "no key given")
}
