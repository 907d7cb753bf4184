package api

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/matih/ops/shared/codec"
)

func codecHarness(t *testing.T, tokens *Tokens) (*harness, *codec.Ring) {
	line, err := codec.NewKey("k1")
	require.NoError(t, err)
	secret, err := base64.StdEncoding.DecodeString(strings.Fields(line)[1])
	require.NoError(t, err)
	ring, err := codec.NewRing(codec.Key{ID: "k1", Secret: secret})
	require.NoError(t, err)
	h := &harness{be: newFake(), audit: &memAudit{}, now: time.Now()}
	h.srv = New(Options{Backend: h.be, Tokens: tokens, Auditor: h.audit, Codec: ring, Namespace: "matih-pipelines",
		CodecOrigin: "https://temporal.example.com"})
	return h, ring
}

func encrypted(t *testing.T, ring *codec.Ring, v any) string {
	p, err := codec.DataConverter(ring).ToPayload(v)
	require.NoError(t, err)
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	require.NoError(t, err)
	return string(b)
}

func TestTheCodecRoutesDecodeForAReaderAndEncodeForAnOperator(t *testing.T) {
	h, ring := codecHarness(t, testTokens(t))
	body := encrypted(t, ring, map[string]string{"sample": "order_id=4: amount is null"})

	w := h.do("POST", PathCodecDecode, readToken, body, "X-Namespace", "matih-pipelines")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(w.Body.Bytes(), &out))
	var v map[string]string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out.Payloads[0], &v))
	assert.Equal(t, "order_id=4: amount is null", v["sample"])

	plain, err := protojson.Marshal(&commonpb.Payloads{Payloads: out.Payloads})
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, h.do("POST", PathCodecEncode, readToken, string(plain)).Code, "a reader does not encode")
	w = h.do("POST", PathCodecEncode, operateToken, string(plain))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.NotContains(t, w.Body.String(), base64.StdEncoding.EncodeToString([]byte("amount is null")))
	assert.Contains(t, w.Body.String(), base64.StdEncoding.EncodeToString([]byte(codec.Encoding)))
}

func TestTheCodecRoutesRefuseWhatTheyMustNotServe(t *testing.T) {
	h, ring := codecHarness(t, testTokens(t))
	body := encrypted(t, ring, "x")
	assert.Equal(t, http.StatusUnauthorized, h.do("POST", PathCodecDecode, "", body).Code, "no token, no plaintext")
	w := h.do("POST", PathCodecDecode, readToken, body, "X-Namespace", "other")
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "X-Namespace")
	w = h.do("POST", PathCodecDecode, readToken, `{"payloads": 7}`)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "codec server protocol")

	open, _ := codecHarness(t, nil)
	w = open.do("POST", PathCodecDecode, "", body)
	assert.Equal(t, http.StatusForbidden, w.Code, "without --tokens the codec is not served")
	assert.Contains(t, w.Body.String(), "need --tokens")

	none := newHarness(t, testTokens(t))
	assert.Equal(t, http.StatusNotFound, none.do("POST", PathCodecDecode, readToken, body).Code, "no keys, no codec")
}

func TestTheWebUIOriginPassesThePreflight(t *testing.T) {
	h, _ := codecHarness(t, testTokens(t))
	w := h.do("OPTIONS", PathCodecDecode, "", "", "Origin", "https://temporal.example.com")
	assert.Equal(t, http.StatusNoContent, w.Code)
	assert.Equal(t, "https://temporal.example.com", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, w.Header().Get("Access-Control-Allow-Headers"), "X-Namespace")
	w = h.do("OPTIONS", PathCodecDecode, "", "", "Origin", "https://evil.example.com")
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
}
