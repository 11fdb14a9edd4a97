package http

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of every route. It is written by hand, and
// the end-to-end tests check every answer the server gives them, and every request it
// accepts, against it: a handler that changes what it sends fails them until the document
// says so too.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI is GET /openapi.json: the document's bytes as they are embedded.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeBody(w, http.StatusOK, openAPIDocument)
}
