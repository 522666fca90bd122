package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"
)

// Health is the answer of /healthz.
type Health struct {
	Status string `json:"status"` // ok or unavailable
	Store  string `json:"store"`  // ok, or why the database does not answer
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable", Store: "not answering"})
		return
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok", Store: "ok"})
}

//go:embed openapi.json
var openapiDoc []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiDoc)
}
