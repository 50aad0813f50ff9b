package querylog

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/coredns/coredns/plugin/pkg/reuseport"
)

// statsServer serves a directive's statistics like BIND's statistics-channels:
// GET /json, and POST /reset to dump and clear.
type statsServer struct {
	addr  string
	stats *stats
	allow *addrmatch.List // who may connect; never nil

	mu  sync.Mutex
	srv *http.Server
}

// start binds the address and serves (OnStartup, OnRestartFailed); idempotent.
func (s *statsServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return nil
	}
	ln, err := reuseport.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	// The patterns answer other methods 405 (with Allow) and other paths 404.
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /json", s.serveJSON)
	mux.HandleFunc("POST /reset", s.serveReset)
	s.srv = &http.Server{
		Handler:           s.guard(mux),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
	}
	go s.srv.Serve(ln)
	return nil
}

// stop closes the listener and its connections (OnRestart, OnShutdown); idempotent.
func (s *statsServer) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	s.srv = nil
	return err
}

func (s *statsServer) serveJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.stats.snapshot(time.Now()).toJSON(0))
}

func (s *statsServer) serveReset(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		statsDenied.WithLabelValues(s.addr, deniedOrigin).Inc()
		http.Error(w, "forbidden: reset only from this listener's own page, or without Origin (curl)", http.StatusForbidden)
		return
	}
	writeJSON(w, s.stats.resetSnapshot(time.Now()).toJSON(0))
}

func writeJSON(w http.ResponseWriter, v any) {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(append(data, '\n'))
}
