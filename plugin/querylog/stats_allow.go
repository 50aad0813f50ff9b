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

// defaultStatsAllow is who may use the statistics listener without an
// allow: loopback only. BIND's statistics-channels allows anyone by
// default; here the page names every client of the server and can reset
// the counters, so opening it to a network is written down, not implied.
var defaultStatsAllow = []string{"127.0.0.0/8", "::1"}

// Reasons a statistics request is refused (the reason label of
// stats_denied_total).
const (
	deniedAddress = "address"
	deniedOrigin  = "origin"
)

// compileAllow compiles the elements of `stats { allow ... }`, the default
// when there are none.
func compileAllow(c *caddy.Controller, elements []string) (*addrmatch.List, error) {
	if elements == nil {
		elements = defaultStatsAllow
	}
	env := &addrmatch.Env{}
	list, err := env.Compile(elements)
	if err != nil {
		return nil, c.Errf("parsing stats allow %v", err)
	}
	if list.UsesKeys() {
		return nil, c.Errf("stats allow: key elements do not apply to HTTP clients; use addresses, prefixes, any, none, localhost, localnets")
	}
	return list, nil
}

// guard lets through the requests of clients the allow list matches and
// answers the others 403, counting them.
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

// sameOrigin reports whether a state-changing request (POST /reset) comes
// from this listener's own page, or from a client that is not a browser.
//
// Browsers send Sec-Fetch-Site and Origin with a POST; curl and scripts
// send neither, and are let through (the allow list has already admitted
// them). When present, Sec-Fetch-Site must be "same-origin" and Origin must
// name this listener: its configured address, the address the connection
// came in on, or localhost with the same port on a loopback listener. A
// page elsewhere, including one whose host name was made to resolve to this
// address (DNS rebinding), has another origin and is refused; an operator
// who opens the page under a host name can read it but must reset from the
// address or with curl.
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
