// Package serverlabel names a server block's listeners as metrics.WithServer
// does, for metrics recorded outside a query.
package serverlabel

import (
	"net"
	"slices"

	"github.com/coredns/coredns/core/dnsserver"
)

// First returns the label of cfg's first listener: what metrics.WithServer
// gives while that listener serves a query.
func First(cfg *dnsserver.Config) string {
	host := ""
	if len(cfg.ListenHosts) > 0 {
		host = cfg.ListenHosts[0]
	}
	if l, ok := label(cfg, host); ok {
		return l
	}
	return cfg.Transport + "://" + net.JoinHostPort(host, cfg.Port)
}

// All returns the labels of every listener of cfgs, each once, in order;
// a listener whose address does not resolve has none.
func All(cfgs []*dnsserver.Config) []string {
	var labels []string
	for _, cfg := range cfgs {
		for _, host := range cfg.ListenHosts {
			if l, ok := label(cfg, host); ok && !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
	}
	return labels
}

// label is the label of cfg's listener on host, computed as dnsserver
// names its servers.
func label(cfg *dnsserver.Config, host string) (string, bool) {
	a, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(host, cfg.Port))
	if err != nil {
		return "", false
	}
	return cfg.Transport + "://" + a.String(), true
}
