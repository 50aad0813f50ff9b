package testkit

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Page is what a headless Chromium made of a URL.
type Page struct {
	DOM        string   // the document after its scripts ran (--dump-dom)
	Screenshot string   // path of a PNG of the window
	Console    []string // console messages (log, error, uncaught exceptions, CSP violations)
	// Requests are the URLs Chromium started requests for, its own
	// background requests (update checks, accounts) included.
	Requests []string
	// Connects are the addresses of every TCP connection attempt and UDP
	// datagram sent; Probes the addresses of UDP sockets connected without
	// sending (Chromium's source address selection, which sends nothing).
	Connects []netip.AddrPort
	Probes   []netip.AddrPort
	Output   string // Chromium's stderr
}

// consoleRE matches a console message in Chromium's log; every level is
// logged as INFO, so any message counts.
var consoleRE = regexp.MustCompile(`:CONSOLE[:(]\d*\)?\]? (.*)$`)

// Chromium loads url in a headless Chromium (Debian's chromium package)
// confined to loopback: every request goes through a proxy on a dead
// loopback port and every host name resolves to nothing, except 127.0.0.1
// which it reaches directly, so a page or Chromium itself that tries to
// reach anything else fails without a packet leaving the machine. The
// network log records what it tried. It waits budget of virtual time for
// the page's scripts and requests, then dumps the DOM and a screenshot of a
// width×height window (saved as name.png in dir).
func Chromium(t testing.TB, url, dir, name string, width, height int, budget time.Duration) *Page {
	t.Helper()
	Require(t, "chromium")
	tmp := t.TempDir()
	netlog := filepath.Join(tmp, "netlog.json")
	shot := filepath.Join(dir, name+".png")
	dead := FreePort(t) // nothing listens there
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chromium",
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--disable-default-apps", "--mute-audio",
		"--user-data-dir="+filepath.Join(tmp, "profile"),
		"--proxy-server=http://"+HostPort("127.0.0.1", dead),
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--log-net-log="+netlog,
		"--enable-logging=stderr", "--v=0",
		"--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height),
		"--virtual-time-budget="+strconv.Itoa(int(budget/time.Millisecond)),
		"--screenshot="+shot, "--dump-dom", url)
	cmd.Env = append(os.Environ(), "HOME="+tmp)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	p := &Page{DOM: string(out), Screenshot: shot, Output: stderr.String()}
	if err != nil {
		t.Fatalf("testkit: chromium %s: %v\n%s", url, err, p.Output)
	}
	for _, line := range strings.Split(p.Output, "\n") {
		if m := consoleRE.FindStringSubmatch(line); m != nil {
			p.Console = append(p.Console, m[1])
		}
	}
	if err := p.readNetLog(netlog); err != nil {
		t.Fatalf("testkit: chromium net log: %v", err)
	}
	return p
}

// readNetLog collects the requests and connections of a Chromium net log.
func (p *Page) readNetLog(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var log struct {
		Constants struct {
			Types map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int              `json:"type"`
			Source struct{ ID int } `json:"source"`
			Params map[string]any   `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		return err
	}
	names := map[int]string{}
	for k, v := range log.Constants.Types {
		names[v] = k
	}
	addr := func(v any) (netip.AddrPort, bool) {
		s, _ := v.(string)
		ap, err := netip.ParseAddrPort(s)
		return ap, err == nil
	}
	udpPeer := map[int]netip.AddrPort{} // connected UDP sockets by source
	sent := map[int]bool{}
	for _, e := range log.Events {
		switch names[e.Type] {
		case "URL_REQUEST_START_JOB":
			if u, ok := e.Params["url"].(string); ok {
				p.Requests = append(p.Requests, u)
			}
		case "TCP_CONNECT_ATTEMPT":
			if ap, ok := addr(e.Params["address"]); ok {
				p.Connects = append(p.Connects, ap)
			}
		case "UDP_CONNECT", "SOCKET_CONNECT":
			// connect(2) on a UDP socket sends nothing; Chromium does it
			// to learn which source address a destination would get.
			if ap, ok := addr(e.Params["address"]); ok {
				udpPeer[e.Source.ID] = ap
			}
		case "UDP_BYTES_SENT":
			if ap, ok := addr(e.Params["address"]); ok {
				p.Connects = append(p.Connects, ap)
			} else if ap, ok := udpPeer[e.Source.ID]; ok && !sent[e.Source.ID] {
				p.Connects = append(p.Connects, ap)
				sent[e.Source.ID] = true
			}
		}
	}
	for id, ap := range udpPeer {
		if !sent[id] {
			p.Probes = append(p.Probes, ap)
		}
	}
	return nil
}
