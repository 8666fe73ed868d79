// Command es-control runs one test Elasticsearch (the testserver harness) on a fixed loopback port and lets a
// browser test stop and restart it over a small HTTP API on another loopback port:
//
//	GET  /ready   200 while Elasticsearch serves, 503 otherwise
//	POST /stop    stops it (its data stays), answers when it has stopped
//	POST /start   starts it again on the same port and data, answers when it serves
//
// The Playwright test of the Platform view (labextension/ui-tests) uses it to see a backend go red and green.
// SIGTERM or SIGINT stops Elasticsearch and removes its directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/kamld/kamld/sidecar/internal/testserver/elasticsearch"
)

func main() {
	esAddr := flag.String("es", "", "host:port for Elasticsearch's REST API (required)")
	control := flag.String("control", "", "host:port of this control API (required)")
	flag.Parse()
	if err := run(*esAddr, *control); err != nil {
		fmt.Fprintln(os.Stderr, "es-control:", err)
		os.Exit(1)
	}
}

func run(esAddr, control string) error {
	if esAddr == "" || control == "" {
		return fmt.Errorf("-es and -control are required")
	}
	home, javaHome, err := elasticsearch.Available()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "kamld-es-control-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	es, err := elasticsearch.Launch(ctx, elasticsearch.Options{Home: home, JavaHome: javaHome, Dir: dir, HTTPAddr: esAddr})
	if err != nil {
		return err
	}
	defer es.Stop()
	c := &controller{es: es, running: true}
	srv := &http.Server{Addr: control, Handler: c.routes()}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	slog.Info("elasticsearch serving", "url", es.URL(), "control", control)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// controller serialises stops and starts: one at a time, each answering when done.
type controller struct {
	mu      sync.Mutex
	es      *elasticsearch.Server
	running bool
}

func (c *controller) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.running {
			http.Error(w, "stopped", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, c.es.URL())
	})
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, _ *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.es.Stop()
		c.running = false
		fmt.Fprintln(w, "stopped")
	})
	mux.HandleFunc("POST /start", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.running {
			if err := c.es.Restart(r.Context()); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			c.running = true
		}
		fmt.Fprintln(w, "serving")
	})
	return mux
}
