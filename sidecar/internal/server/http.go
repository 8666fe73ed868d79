package server

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newHTTPHandler serves the operational endpoints (no token: they reveal nothing a caller could misuse and
// orchestrators probe them without credentials) and hands everything else to the REST gateway.
func (s *Server) newHTTPHandler(api http.Handler, raw *rawFiles, openapi []byte, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := s.backends.Ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// Raw file bytes bypass the JSON gateway and its body limit (see rawfiles.go); GET also serves HEAD.
	mux.HandleFunc("GET /v1/datasets/{dataset}/content/{path...}", raw.download)
	mux.HandleFunc("PUT /v1/datasets/{dataset}/content/{path...}", raw.upload)
	// Query results as Arrow when the client asks (see arrowquery.go); JSON ones go to the gateway.
	mux.Handle("/v1/queries:execute", raw.arrow.wrap(api))
	mux.Handle("/", api)
	return mux
}
