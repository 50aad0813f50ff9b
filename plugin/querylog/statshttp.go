package querylog

import (
	"context"
	_ "embed"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/coredns/caddy"
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

// page is the stats listener's page; it reads only /json of the same listener.
//
//go:embed page.html
var page []byte

// pagePolicy keeps the page to itself: inline script and style only, and
// requests to its own origin only.
const pagePolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

func (s *statsServer) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pagePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(page)
}

// defaultStatsAllow is loopback only: unlike BIND's statistics-channels, the
// page names every client and can reset counters.
var defaultStatsAllow = []string{"127.0.0.0/8", "::1"}

// Reasons a statistics request is refused (the reason label of
// stats_denied_total).
const (
	deniedAddress = "address"
	deniedOrigin  = "origin"
)

// compileAllow compiles `stats { allow ... }`, or the default without elements.
func compileAllow(c *caddy.Controller, elements []string) (*addrmatch.List, error) {
	if elements == nil {
		elements = defaultStatsAllow
	}
	list, err := new(addrmatch.Env).Compile(elements)
	if err != nil {
		return nil, c.Errf("parsing stats allow %v", err)
	}
	if list.UsesKeys() {
		return nil, c.Errf("stats allow: key elements do not apply to HTTP clients; use addresses, prefixes, any, none, localhost, localnets")
	}
	return list, nil
}

// guard answers 403 (counted) to clients the allow list does not match.
func (s *statsServer) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ap, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !s.allow.Match(ap.Addr(), "") {
			statsDenied.WithLabelValues(s.addr, deniedAddress).Inc()
			http.Error(w, "forbidden: this address is not in the statistics listener's allow list", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin admits a state-changing request from non-browsers (no
// Sec-Fetch-Site, no Origin) or from this listener's own origin, so a page
// elsewhere, DNS rebinding included, cannot reset the counters.
func (s *statsServer) sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return false
	}
	if u.Host == s.addr {
		return true
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		return false
	}
	lap, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return false
	}
	if oap, err := netip.ParseAddrPort(u.Host); err == nil {
		return oap.Addr().Unmap() == lap.Addr().Unmap() && oap.Port() == lap.Port()
	}
	host, port, err := net.SplitHostPort(u.Host)
	return err == nil && host == "localhost" && lap.Addr().IsLoopback() && port == strconv.Itoa(int(lap.Port()))
}
