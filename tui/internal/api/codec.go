package api

import (
	"io"
	"net/http"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// The routes of Temporal's codec server protocol: the Temporal CLI
// (--codec-endpoint) and the Web UI post payloads here to see them decoded, as
// the person their token names. Decoding needs the read scope, encoding (inputs a
// person sends) the execute scope; without --tokens neither is served, since the
// decoded payloads are what encryption keeps from namespace readers.
const (
	PathCodecEncode = "/codec/encode"
	PathCodecDecode = "/codec/decode"
	// MaxCodecBytes bounds a codec request: a few payloads of up to Temporal's 2 MB.
	MaxCodecBytes = 8 << 20
)

// PayloadCodec is the payload encryption matih serve decodes and encodes with.
type PayloadCodec interface {
	Encode([]*commonpb.Payload) ([]*commonpb.Payload, error)
	Decode([]*commonpb.Payload) ([]*commonpb.Payload, error)
}

func (s *Server) codecRoutes() []Route {
	return []Route{
		{Method: "POST", Path: PathCodecEncode, Need: ScopeExecute, handle: s.codec(true)},
		{Method: "POST", Path: PathCodecDecode, Need: ScopeRead, handle: s.codec(false)},
		{Method: "OPTIONS", Path: PathCodecEncode, handle: s.codecPreflight},
		{Method: "OPTIONS", Path: PathCodecDecode, handle: s.codecPreflight},
	}
}

func (s *Server) codec(encode bool) func(http.ResponseWriter, *http.Request, Caller) {
	return func(w http.ResponseWriter, r *http.Request, _ Caller) {
		s.allowOrigin(w, r)
		if err := s.codecAllowed(r); err != nil {
			writeError(w, r, err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCodecBytes))
		if err != nil {
			writeError(w, r, fail(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is larger than 8 MiB or was cut short"))
			return
		}
		var in commonpb.Payloads
		if err := protojson.Unmarshal(body, &in); err != nil {
			writeError(w, r, badRequest("payloads", `payloads: expected {"payloads": [{"metadata": {...}, "data": "..."}]} (Temporal's codec server protocol)`))
			return
		}
		out, err := s.opts.Codec.Decode(in.GetPayloads())
		if encode {
			out, err = s.opts.Codec.Encode(in.GetPayloads())
		}
		if err != nil {
			writeError(w, r, badRequest("payloads", "payloads: "+err.Error()))
			return
		}
		b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}
}

// codecAllowed refuses codec requests on a server that cannot serve them safely.
func (s *Server) codecAllowed(r *http.Request) error {
	switch ns := r.Header.Get("X-Namespace"); {
	case s.opts.Codec == nil:
		return fail(http.StatusNotFound, CodeNotFound, "this server has no codec keys (--codec-keys or MATIH_CODEC_KEYS)")
	case s.opts.Tokens == nil:
		return fail(http.StatusForbidden, CodeForbidden, "the codec routes need --tokens: decoded payloads are for the people a token names")
	case ns != "" && s.opts.Namespace != "" && ns != s.opts.Namespace:
		return badRequest("X-Namespace", "X-Namespace: this server decodes "+quote(s.opts.Namespace, 64)+", got "+quote(ns, 64))
	}
	return nil
}

// codecPreflight answers the browser's CORS preflight for the Web UI's origin.
func (s *Server) codecPreflight(w http.ResponseWriter, r *http.Request, _ Caller) {
	if !s.allowOrigin(w, r) {
		writeError(w, r, fail(http.StatusForbidden, CodeForbidden, "origin "+quote(r.Header.Get("Origin"), 200)+" is not --codec-cors-origin"))
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// allowOrigin sets the CORS headers when the request comes from the configured Web
// UI origin, and tells whether it did.
func (s *Server) allowOrigin(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || s.opts.CodecOrigin == "" || !strings.EqualFold(origin, s.opts.CodecOrigin) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", s.opts.CodecOrigin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	w.Header().Add("Vary", "Origin")
	return true
}
