package api

import (
	_ "embed"
	"net/http"
)

// openAPI is the hand-written OpenAPI 3.1 document of every route; a test checks it
// lists exactly the routes the server registers.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the document.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ Caller) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
}
