package test

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	ctest "github.com/coredns/coredns/test"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corebind/corebind/internal/testkit"
)

// querylog's operator view (issue 17): who may use the statistics listener,
// and the mask and sample options of each output, over real HTTP and real
// DNS queries from several loopback addresses.

// httpFrom is an HTTP client whose connections come from the local address
// from, as a client on that host would.
func httpFrom(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			DisableKeepAlives: true,
		},
	}
}

// do sends a request with headers and returns the status and body.
func do(t *testing.T, c *http.Client, method, url string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	var resp *http.Response
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err = c.Do(req)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // the listener starts with the server
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metricWith returns the value of a counter with exactly these labels.
func metricWith(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestQuerylogStatsAllow: a client outside `stats { allow }` gets 403 for
// /, /json and POST /reset, counted; a client inside gets 200; a POST
// /reset from another origin is refused, from the page's own origin or
// without Origin (curl) it resets.
func TestQuerylogStatsAllow(t *testing.T) {
	statsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testkit.FreePort(t)))
	s := startQL(t, `.:0 {
	bind 127.0.0.1
	querylog {
		output file DIR/query.log
		stats {
			listen `+statsAddr+`
			allow 127.0.0.2 127.0.0.4
		}
	}
	file DIR/db.example.org example.org
}
`)
	for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
		exchange(t, "udp", from, s.udp, qlMsg("www.example.org."))
	}
	base := "http://" + statsAddr
	in, out := httpFrom("127.0.0.2"), httpFrom("127.0.0.3")
	denied := func(reason string) float64 {
		return metricWith(t, "coredns_querylog_stats_denied_total", map[string]string{"listen": statsAddr, "reason": reason})
	}
	before := denied("address")

	for _, r := range []struct{ method, path string }{{"GET", "/"}, {"GET", "/json"}, {"POST", "/reset"}} {
		if code, body := do(t, out, r.method, base+r.path, nil); code != http.StatusForbidden {
			t.Errorf("%s %s from 127.0.0.3 (not allowed): %d %s", r.method, r.path, code, body)
		}
	}
	if got := denied("address") - before; got != 3 {
		t.Errorf("stats_denied_total{reason=address} grew by %v, want 3", got)
	}

	code, body := do(t, in, "GET", base+"/", nil)
	if code != http.StatusOK || !strings.Contains(body, "<title>querylog statistics</title>") {
		t.Errorf("GET / from 127.0.0.2: %d %.200s", code, body)
	}
	code, body = do(t, in, "GET", base+"/json", nil)
	var doc struct {
		Queries int `json:"queries"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &doc) != nil || doc.Queries < 2 {
		t.Errorf("GET /json from 127.0.0.2: %d %.300s", code, body)
	}
	if code, _ := do(t, in, "GET", base+"/nothing", nil); code != http.StatusNotFound {
		t.Errorf("GET /nothing: %d, want 404", code)
	}

	// A page elsewhere posting to /reset through the operator's browser;
	// and a rebound name (evil.example resolving to the listener), whose
	// Origin matches its Host header but not the listener.
	beforeOrigin := denied("origin")
	for _, h := range []map[string]string{
		{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "null"},
		{"Origin": "http://evil.example:" + strings.Split(statsAddr, ":")[1], "Host": "evil.example:" + strings.Split(statsAddr, ":")[1], "Sec-Fetch-Site": "same-origin"},
	} {
		if code, body := do(t, in, "POST", base+"/reset", h); code != http.StatusForbidden {
			t.Errorf("cross-origin POST /reset %v: %d %s", h, code, body)
		}
	}
	if got := denied("origin") - beforeOrigin; got != 5 {
		t.Errorf("stats_denied_total{reason=origin} grew by %v, want 5", got)
	}
	if code, body := do(t, in, "GET", base+"/json", nil); code != http.StatusOK || !strings.Contains(body, `"queries": 2`) {
		t.Errorf("refused resets cleared the counters: %.200s", body)
	}

	// The page's own origin resets; so does curl (no Origin).
	if code, body := do(t, in, "POST", base+"/reset", map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}); code != http.StatusOK ||
		!strings.Contains(body, `"queries": 2`) {
		t.Errorf("same-origin POST /reset: %d %.200s", code, body)
	}
	exchange(t, "udp", "127.0.0.4", s.udp, qlMsg("www.example.org."))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body = do(t, httpFrom("127.0.0.4"), "GET", base+"/json", nil)
		if strings.Contains(body, `"queries": 1,`) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := do(t, httpFrom("127.0.0.4"), "POST", base+"/reset", nil); code != http.StatusOK || !strings.Contains(body, `"queries": 1,`) {
		t.Errorf("POST /reset without Origin (curl): %d %.200s", code, body)
	}
	if code, _ := do(t, in, "GET", base+"/reset", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /reset: %d, want 405", code)
	}
}

// TestQuerylogStatsDefaultAllow: without allow, loopback clients are
// served (and the listener serves the page), as the README says.
func TestQuerylogStatsDefaultAllow(t *testing.T) {
	statsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testkit.FreePort(t)))
	startQL(t, `.:0 {
	bind 127.0.0.1
	querylog {
		output file DIR/query.log
		stats {
			listen `+statsAddr+`
		}
	}
	file DIR/db.example.org example.org
}
`)
	for _, from := range []string{"127.0.0.1", "127.0.0.9"} {
		if code, _ := do(t, httpFrom(from), "GET", "http://"+statsAddr+"/", nil); code != http.StatusOK {
			t.Errorf("GET / from %s: %d", from, code)
		}
	}
}

// TestQuerylogMaskSample: one server block, two outputs of the same
// queries: BIND lines masked to /24 and /48, one query in 4; JSON records
// masked to /16 and /128 (IPv6 kept), one in 2. The written lines parse
// back with truncated addresses and about the expected share; every query
// the 4 output logs the 2 output logs too (the decision is a hash of the
// query, the same in both); the statistics count every query with full
// addresses, and the sampled-out records are counted.
func TestQuerylogMaskSample(t *testing.T) {
	statsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testkit.FreePort(t)))
	s := startQL(t, `.:0 {
	bind 127.0.0.1 ::1
	querylog {
		output file DIR/query.log
		mask 24 48
		sample 4
		stats {
			listen `+statsAddr+`
		}
	}
	querylog {
		output file DIR/query.json
		format json
		mask 16 128
		sample 2
	}
	file DIR/db.example.org example.org
}
`)
	var udp4, udp6 string
	for k := range 2 {
		u, _ := ctest.CoreDNSServerPorts(s.inst, k)
		if strings.HasPrefix(u, "[::1]:") {
			udp6 = u
		} else {
			udp4 = u
		}
	}
	sampledOut := func() float64 {
		return metric(t, "coredns_querylog_sampled_out_total", "dns://127.0.0.1:0") + metric(t, "coredns_querylog_sampled_out_total", "dns://[::1]:0")
	}
	before := sampledOut()
	sources := []string{"127.0.0.2", "127.0.1.3", "::1"}
	const perSource = 200
	const n = perSource * 3
	sent := map[string]netip.AddrPort{} // qname -> client
	for i := range perSource {
		for j, from := range sources {
			server := udp4
			if from == "::1" {
				server = udp6
			}
			name := "q" + strconv.Itoa(i) + "-" + strconv.Itoa(j) + ".example.org."
			_, client := exchange(t, "udp", from, server, qlMsg(name))
			sent[name] = client
		}
	}
	j := statsAfter(t, statsAddr, n)
	if j.Queries != n {
		t.Errorf("statistics counted %d queries, want all %d", j.Queries, n)
	}
	full := map[string]bool{}
	for _, c := range j.Clients {
		full[c.IP] = true
	}
	for _, src := range sources {
		if !full[src] {
			t.Errorf("statistics lack the full address %s: %+v", src, j.Clients)
		}
	}
	s.stop()

	// Lines come in any order; the query name says which query it was.
	masked4 := map[string]string{"127.0.0.2": "127.0.0.0", "127.0.1.3": "127.0.1.0", "::1": "::"}
	bindLogged := map[string]bool{}
	for _, line := range nonEmpty(strings.Split(readFile(t, filepath.Join(s.dir, "query.log")), "\n")) {
		l := parseBindLine(t, line)
		client, ok := sent[l.qname+"."]
		if !ok {
			t.Errorf("line for a query not sent: %s", line)
			continue
		}
		if want := masked4[client.Addr().String()]; l.client.Addr().String() != want || l.client.Port() != client.Port() {
			t.Errorf("bind line client %s, want %s#%d (masked /24 /48): %s", l.client, want, client.Port(), line)
		}
		bindLogged[l.qname+"."] = true
	}
	masked16 := map[string]string{"127.0.0.2": "127.0.0.0", "127.0.1.3": "127.0.0.0", "::1": "::1"}
	jsonLogged := map[string]bool{}
	for _, line := range nonEmpty(strings.Split(readFile(t, filepath.Join(s.dir, "query.json")), "\n")) {
		var r struct {
			Qname    string `json:"qname"`
			ClientIP string `json:"client_ip"`
			Port     uint16 `json:"client_port"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		client, ok := sent[r.Qname]
		if !ok {
			t.Errorf("record for a query not sent: %s", line)
			continue
		}
		if want := masked16[client.Addr().String()]; r.ClientIP != want || r.Port != client.Port() {
			t.Errorf("json client_ip %s, want %s (masked /16 /128): %s", r.ClientIP, want, line)
		}
		jsonLogged[r.Qname] = true
	}
	// The share: binomial, within 5 standard deviations.
	for _, c := range []struct {
		name   string
		logged int
		every  int
	}{{"bind", len(bindLogged), 4}, {"json", len(jsonLogged), 2}} {
		p := 1 / float64(c.every)
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		if math.Abs(float64(c.logged)-mean) > 5*sd {
			t.Errorf("%s output (sample %d) logged %d of %d queries, want about %.0f", c.name, c.every, c.logged, n, mean)
		}
	}
	for name := range bindLogged {
		if !jsonLogged[name] {
			t.Errorf("%s is in the sample 4 output but not in the sample 2 output", name)
		}
	}
	if got, want := sampledOut()-before, float64(2*n-len(bindLogged)-len(jsonLogged)); got != want {
		t.Errorf("sampled_out_total grew by %v, want %v (the records left out)", got, want)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
