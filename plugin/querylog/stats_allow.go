package querylog

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/corebind/corebind/plugin/pkg/addrmatch"
	"github.com/coredns/caddy"
)

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
