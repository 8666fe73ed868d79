package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/observe"
)

// newHTTPHandler serves the operational endpoints (no token: they reveal nothing a caller could misuse and
// orchestrators probe them without credentials) and hands everything else to the REST gateway.
func (s *Server) newHTTPHandler(api http.Handler, raw *rawFiles, arrow *arrowQueries, batches *rawBatches, openapi []byte, metrics prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	// Liveness says only that the process serves HTTP: it never calls a backend, so a backend outage makes the
	// sidecar unready (traffic goes elsewhere) but never gets it restarted. /healthz is its older name.
	live := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}
	mux.HandleFunc("GET /livez", live)
	mux.HandleFunc("GET /healthz", live)
	mux.HandleFunc("GET /readyz", s.readyz(""))
	for _, c := range backend.Capabilities {
		mux.HandleFunc("GET /readyz/"+c, s.readyz(c))
	}
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi)
	})
	mux.Handle("GET /metrics", s.metricsHandler(metrics))
	// Raw file bytes bypass the JSON gateway and its body limit (see rawfiles.go); GET also serves HEAD.
	mux.Handle("GET /v1/datasets/{dataset}/content/{path...}", observe.HTTPHandler(http.HandlerFunc(raw.download), "download"))
	mux.Handle("PUT /v1/datasets/{dataset}/content/{path...}", observe.HTTPHandler(http.HandlerFunc(raw.upload), "upload"))
	// Many small files in one call, as a tar archive (see rawbatch.go).
	mux.Handle("POST "+batchRoute, observe.HTTPHandler(http.HandlerFunc(batches.upload), "upload-batch"))
	// Query results as Arrow when the client asks (see arrowquery.go); JSON ones go to the gateway.
	mux.Handle("/v1/queries:execute", observe.HTTPHandler(arrow.wrap(api), "query"))
	mux.Handle("/", observe.HTTPHandler(api, "gateway"))
	return mux
}

// readyz answers 200 when the backend of capability (every backend when empty) serves, else 503 naming the
// failing ones. With ?verbose, the body lists every backend checked, one per line.
func (s *Server) readyz(capability string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		var lines []string
		ready := true
		for _, st := range s.backends.Statuses(ctx) {
			if capability != "" && st.Capability != capability {
				continue
			}
			line := "[+] " + st.Capability + " " + st.Backend + " ok"
			if st.Err != nil {
				ready = false
				line = "[-] " + st.Capability + " " + st.Backend + ": " + observe.Redact(st.Err.Error())
			}
			lines = append(lines, line)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, verbose := r.URL.Query()["verbose"]
		switch {
		case verbose || !ready:
			_, _ = w.Write([]byte(strings.Join(lines, "\n") + "\n"))
		default:
			_, _ = w.Write([]byte("ok\n"))
		}
	}
}

// metricsOff is the whole /metrics body when observe.metrics is false: a scrape succeeds (no alert on a
// deliberately unmonitored sidecar) and a person reading it learns why it is empty.
const metricsOff = "# kamld: metrics are off (observe.metrics: false, KAMLD_OBSERVE_METRICS=false)\n"

func (s *Server) metricsHandler(metrics prometheus.Gatherer) http.Handler {
	if s.cfg.Observe.Metrics {
		return promhttp.HandlerFor(metrics, promhttp.HandlerOpts{})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(metricsOff))
	})
}
