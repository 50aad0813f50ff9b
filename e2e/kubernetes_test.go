package e2e

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/corebind/corebind/internal/testkit"
)

// The Corefile Kubernetes ships in its CoreDNS add-on (kubeadm's is the same
// but for cache's per-zone options), filled in for cluster.local. The
// ConfigMap in deploy/kubernetes must be this plus corebind's directives.
const stockCorefile = `.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
        max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`

// The directives deploy/kubernetes adds to the stock Corefile.
var corebindDirectives = []string{"querylog", "chaosmask", "recursionacl"}

// The simulated cluster: the DNS pod's network namespace, joined by a veth
// pair to a second one holding its clients. None of it is reachable from the
// host or anywhere else.
const (
	kubeDNS      = "10.96.0.10"   // the kube-dns Service IP, on the DNS pod's lo
	dnsPod       = "10.244.0.2"   // the DNS pod's eth0
	podClient    = "10.244.0.10"  // a pod: inside the cluster's networks
	outsider     = "198.51.100.7" // a client outside them, routed through the pod network
	nodeResolver = "127.0.0.53"   // the node's resolver, in the DNS pod's /etc/resolv.conf
)

// TestKubernetes checks the Kubernetes drop-in of deploy/kubernetes: the
// manifest is the stock one with the image swapped and corebind's directives
// added, and its Corefile, served by the built binary as the pod would run it,
// answers health (:8080/health), readiness (:8181/ready) and metrics
// (:9153/metrics) exactly as upstream CoreDNS v1.15.0 does on the stock
// Corefile, and DNS the same for the cluster's clients.
//
// Each server runs in its own network namespace on the stock ports, with the
// pod's view of the world: the in-cluster service account (token and CA under
// /var/run/secrets, KUBERNETES_SERVICE_HOST) for a fake API server, and a
// resolv.conf naming a BIND 9 named as the node's resolver.
func TestKubernetes(t *testing.T) {
	testkit.Require(t, "ip", "named", "dig", "sh", "mount", "readlink")
	m := readManifest(t, filepath.Join(testkit.RepoRoot(), "deploy", "kubernetes", "coredns.yaml"))

	t.Run("manifest", func(t *testing.T) {
		if got := stripCorebind(m.corefile); got != stockCorefile {
			t.Errorf("the ConfigMap's Corefile without corebind's directives is not the stock one:\n%s\nwant:\n%s", got, stockCorefile)
		}
		for _, d := range corebindDirectives {
			if !regexp.MustCompile(`(?m)^\s+` + d + `\b`).MatchString(m.corefile) {
				t.Errorf("the ConfigMap's Corefile does not use %s", d)
			}
		}
		if want := "corebind:" + distVersion(t); !slices.Equal(m.images, []string{want}) {
			t.Errorf("Deployment images %q, want [%s] (the image ./build.sh image builds)", m.images, want)
		}
		for _, want := range []string{
			`args: [ "-conf", "/etc/coredns/Corefile" ]`, // the image's CMD, as stock
			"mountPath: /etc/coredns",
			"path: /health\n            port: 8080",
			"path: /ready\n            port: 8181",
			"containerPort: 9153",
			"- NET_BIND_SERVICE", // the image's user binds 53 through its file capability
			"readOnlyRootFilesystem: true",
		} {
			if !strings.Contains(m.deployment, want) {
				t.Errorf("the Deployment lacks the stock %q", want)
			}
		}
	})

	vanilla := buildVanilla(t)
	corebind := testkit.Binary(t)

	// The image swap alone, the ConfigMap untouched: nothing may change.
	t.Run("image swap", func(t *testing.T) {
		compareNodes(t, vanilla, corebind, stockCorefile, true, false)
	})

	// The recipe: the swap and corebind's directives. Needs querylog,
	// chaosmask and recursionacl with their issues' syntax.
	t.Run("recipe", func(t *testing.T) {
		stock, cb := compareNodes(t, vanilla, corebind, m.corefile, false, true)

		// chaosmask: the stock server forwards CH queries to the node's
		// resolver and hands back its version; corebind answers nothing.
		q := new(dns.Msg)
		q.SetQuestion("version.bind.", dns.TypeTXT)
		q.Question[0].Qclass = dns.ClassCHAOS
		if r := stock.clients.Exchange(t, "udp", podClient, kubeDNS+":53", q); len(r.Answer) == 0 {
			t.Errorf("stock CoreDNS did not leak the node resolver's version.bind: %v", r)
		}
		if r := cb.clients.Exchange(t, "udp", podClient, kubeDNS+":53", q); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
			t.Errorf("corebind version.bind: %v\nwant NOERROR and no answer (chaosmask's default: none)", r)
		}

		// recursionacl: outside the cluster's networks, no recursion.
		q = new(dns.Msg)
		q.SetQuestion("www.example.org.", dns.TypeA)
		if r := stock.clients.Exchange(t, "udp", outsider, kubeDNS+":53", q); len(r.Answer) == 0 {
			t.Errorf("stock CoreDNS did not resolve for an outside client: %v", r)
		}
		for _, network := range []string{"udp", "tcp"} {
			if r := cb.clients.Exchange(t, network, outsider, kubeDNS+":53", q); r.Rcode != dns.RcodeRefused || len(r.Answer) != 0 {
				t.Errorf("corebind resolved www.example.org over %s for %s, outside the cluster's networks: %v", network, outsider, r)
			}
		}

		// querylog: a JSON line on stdout for the pod's query.
		deadline := time.Now().Add(15 * time.Second)
		for !loggedJSON(cb.proc.Output(), podClient, "kubernetes.default.svc.cluster.local") {
			if time.Now().After(deadline) {
				t.Errorf("no querylog JSON line on stdout for %s asking kubernetes.default.svc.cluster.local:\n%s", podClient, cb.proc.Output())
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// kubeNode is one server under test with its surroundings.
type kubeNode struct {
	name    string
	ns      *testkit.Netns // the DNS pod's
	clients *testkit.Netns // podClient's and outsider's
	api     *kubeAPI
	proc    *testkit.Proc
	http    *http.Client
}

// podScript gives coredns the filesystem a pod has, in the private mount
// namespace `ip netns exec` creates (nothing leaks to the host): the service
// account under /var/run/secrets/kubernetes.io/serviceaccount and the node's
// /etc/resolv.conf (dnsPolicy: Default). $1 is the directory holding them;
// the rest is the command.
const podScript = `
dir=$1; shift
resolv=$(readlink -f /etc/resolv.conf)
run=$(readlink -f /var/run)
mount -t tmpfs -o mode=0755 pod-run "$run"
mkdir -p "$run/secrets/kubernetes.io/serviceaccount"
cp "$dir"/sa/* "$run/secrets/kubernetes.io/serviceaccount/"
case $resolv in
"$run"/*) mkdir -p "${resolv%/*}"; cp "$dir/resolv.conf" "$resolv" ;;
*) mount --bind "$dir/resolv.conf" "$resolv" ;;
esac
exec "$@"
`

// startKubeNode starts bin on corefile the way the Deployment runs it, with
// the API server holding its answers back.
func startKubeNode(t *testing.T, name, bin, corefile string) *kubeNode {
	t.Helper()
	n := &kubeNode{name: name, ns: testkit.NewNetns(t, nodeResolver, kubeDNS), clients: testkit.NewNetns(t, outsider)}
	n.http = n.ns.HTTPClient()
	// The pod network: clients reach the Service IP through the DNS pod's
	// eth0, as kube-proxy would send them; the answers find their way back.
	for _, args := range [][]string{
		{"-n", n.ns.Name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", n.clients.Name},
		{"-n", n.ns.Name, "addr", "add", dnsPod + "/16", "dev", "eth0"},
		{"-n", n.ns.Name, "link", "set", "eth0", "up"},
		{"-n", n.ns.Name, "route", "add", outsider + "/32", "via", podClient},
		{"-n", n.clients.Name, "addr", "add", podClient + "/16", "dev", "eth0"},
		{"-n", n.clients.Name, "link", "set", "eth0", "up"},
		{"-n", n.clients.Name, "route", "add", "10.96.0.0/12", "via", dnsPod},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	testkit.StartNamed(t, testkit.NamedOptions{
		Netns:  n.ns,
		Listen: nodeResolver,
		Conf:   `zone "example.org" { type primary; file "example.org.db"; };`,
		Files: map[string]string{"example.org.db": testkit.Zone(`ns1 IN A 127.0.0.53
www IN A 192.0.2.80
`)},
	})
	token := "token-of-" + name
	n.api = startKubeAPI(t, n.ns, "127.0.0.1:443", token)

	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: n.api.Certificate().Raw})
	for file, content := range map[string]string{
		"Corefile":     corefile,
		"resolv.conf":  "nameserver " + nodeResolver + "\n",
		"sa/token":     token,
		"sa/ca.crt":    string(ca),
		"sa/namespace": "kube-system",
	} {
		testkit.WriteFile(t, filepath.Join(dir, file), content)
	}
	cmd := n.ns.Command("sh", "-ec", podScript, "pod", dir, bin, "-conf", filepath.Join(dir, "Corefile"))
	cmd.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"KUBERNETES_SERVICE_HOST=127.0.0.1",
		"KUBERNETES_SERVICE_PORT=443",
	}
	n.proc = testkit.StartProc(t, name, cmd)
	return n
}

// httpAnswer is what a probe or a scraper sees.
type httpAnswer struct {
	Status      int
	ContentType string
	Body        string
}

func (n *kubeNode) get(path string) (httpAnswer, error) {
	port := map[string]string{"/health": "8080", "/ready": "8181", "/metrics": "9153"}[path]
	resp, err := n.http.Get("http://127.0.0.1:" + port + path)
	if err != nil {
		return httpAnswer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return httpAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}, err
}

// waitHTTP polls path until done accepts the answer (30s at most).
func (n *kubeNode) waitHTTP(t *testing.T, path string, done func(httpAnswer) bool) httpAnswer {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		a, err := n.get(path)
		if err == nil && done(a) {
			return a
		}
		if n.proc.Exited() {
			t.Fatalf("%s exited: it does not serve this Corefile\n%s", n.name, n.proc.Output())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never gave the expected answer; last %+v, %v\n%s", n.name, path, a, err, n.proc.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// compareNodes starts upstream CoreDNS on the stock Corefile and bin on
// corefile side by side and checks that health, readiness, DNS answers to a
// pod and metrics are the same. With sameSeries, every metric series must be
// the same too (nothing but the binary differs).
// With recursionACL (the recipe's Corefile), answers forwarded to the node's
// resolver come back with AA clear from corebind: recursionacl clears AA on
// data that is not the server's own, as BIND does; stock CoreDNS passes the
// upstream's AA on.
func compareNodes(t *testing.T, vanilla, bin, corefile string, sameSeries, recursionACL bool) (stock, cb *kubeNode) {
	t.Helper()
	stock = startKubeNode(t, "coredns-vanilla", vanilla, stockCorefile)
	cb = startKubeNode(t, "corebind", bin, corefile)
	nodes := []*kubeNode{stock, cb}
	each := func(f func(n *kubeNode) httpAnswer) [2]httpAnswer {
		var a [2]httpAnswer
		for i, n := range nodes {
			a[i] = f(n)
		}
		return a
	}
	same := func(what string, a [2]httpAnswer) {
		t.Helper()
		if a[0] != a[1] {
			t.Errorf("%s: upstream answers %+v, corebind %+v", what, a[0], a[1])
		}
	}

	// Liveness: up from the start, whatever the API server does.
	same("/health", each(func(n *kubeNode) httpAnswer {
		return n.waitHTTP(t, "/health", func(a httpAnswer) bool { return true })
	}))

	// Readiness waits for the kubernetes plugin's sync: 503 naming it while
	// the API server holds its answers back.
	notReady := each(func(n *kubeNode) httpAnswer {
		return n.waitHTTP(t, "/ready", func(a httpAnswer) bool { return a.Status == http.StatusServiceUnavailable })
	})
	t.Logf("/ready while the API server holds back: %+v", notReady[0])
	if !strings.Contains(notReady[0].Body, "kubernetes") {
		t.Errorf("upstream's /ready before the sync: %+v, want 503 naming kubernetes", notReady[0])
	}
	if notReady[0] != notReady[1] {
		// Other plugins may take a moment to be ready; the kubernetes
		// plugin alone must hold readiness back.
		notReady[1] = cb.waitHTTP(t, "/ready", func(a httpAnswer) bool { return a == notReady[0] || a.Status == http.StatusOK })
		same("/ready before the API server answers", notReady)
	}
	for _, n := range nodes {
		n.api.release()
	}
	same("/ready after the sync", each(func(n *kubeNode) httpAnswer {
		return n.waitHTTP(t, "/ready", func(a httpAnswer) bool { return a.Status == http.StatusOK })
	}))

	// DNS for a pod, through the kube-dns Service address.
	for _, n := range nodes {
		testkit.WaitDNS(t, n.ns, kubeDNS+":53", n.proc)
	}
	queries := []struct {
		network, name string
		qtype         uint16
		want          string // in the stock answer, to know what is compared
	}{
		{"udp", "kubernetes.default.svc.cluster.local.", dns.TypeA, "10.96.0.1"},
		{"tcp", "kubernetes.default.svc.cluster.local.", dns.TypeA, "10.96.0.1"},
		{"udp", "kubernetes.default.svc.cluster.local.", dns.TypeAAAA, "NOERROR"},
		{"udp", "kube-dns.kube-system.svc.cluster.local.", dns.TypeA, "10.96.0.10"},
		{"udp", "_dns._udp.kube-dns.kube-system.svc.cluster.local.", dns.TypeSRV, "kube-dns.kube-system.svc.cluster.local."},
		{"udp", "10.0.96.10.in-addr.arpa.", dns.TypePTR, "kube-dns.kube-system.svc.cluster.local."},
		{"udp", "10-244-0-10.default.pod.cluster.local.", dns.TypeA, podClient},
		{"udp", "missing.default.svc.cluster.local.", dns.TypeA, "NXDOMAIN"},
		{"udp", "www.example.org.", dns.TypeA, "192.0.2.80"},
		{"tcp", "www.example.org.", dns.TypeAAAA, "NOERROR"},
		{"udp", "missing.example.org.", dns.TypeA, "NXDOMAIN"},
	}
	for _, q := range queries {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		m.SetEdns0(1232, false)
		var got [2]string
		for i, n := range nodes {
			got[i] = canonical(n.clients.Exchange(t, q.network, podClient, kubeDNS+":53", m))
		}
		if !strings.Contains(got[0], q.want) {
			t.Errorf("%s %s %s: upstream answers\n%s\nwithout %q", q.network, q.name, dns.TypeToString[q.qtype], got[0], q.want)
		}
		if recursionACL && strings.HasSuffix(q.name, ".example.org.") {
			got[0] = strings.Replace(got[0], " aa=true ", " aa=false ", 1)
		}
		if got[0] != got[1] {
			t.Errorf("%s %s %s:\nupstream answers\n%s\ncorebind\n%s", q.network, q.name, dns.TypeToString[q.qtype], got[0], got[1])
		}
	}

	// Metrics: every family upstream exposes, with the same type, help and
	// labels; nothing more than corebind's own. Things settle in the
	// background (loop's probe of the upstream, the API sync's histograms):
	// scrape until both agree.
	deadline := time.Now().Add(20 * time.Second)
	for {
		scraped := each(func(n *kubeNode) httpAnswer {
			return n.waitHTTP(t, "/metrics", func(a httpAnswer) bool { return a.Status == http.StatusOK })
		})
		problems := compareMetrics(parseMetrics(scraped[0].Body), parseMetrics(scraped[1].Body), sameSeries)
		if scraped[0].ContentType != scraped[1].ContentType {
			problems = append(problems, fmt.Sprintf("/metrics Content-Type: upstream %q, corebind %q", scraped[0].ContentType, scraped[1].ContentType))
		}
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, p := range problems {
				t.Error(p)
			}
			break
		}
		time.Sleep(250 * time.Millisecond)
	}

	// Both authenticated with the pod's service account.
	for _, n := range nodes {
		all, bad := n.api.Requests()
		t.Logf("%s asked the API server: %q", n.name, all)
		if len(bad) > 0 {
			t.Errorf("%s: API requests without the service account token: %q", n.name, bad)
		}
		for _, path := range []string{"/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices", "/api/v1/namespaces"} {
			if !slices.ContainsFunc(all, func(r string) bool { return strings.HasPrefix(r, "GET "+path+"?") }) {
				t.Errorf("%s never asked the API server for %s: %q", n.name, path, all)
			}
		}
	}
	return stock, cb
}

// canonical is a response as compared between the two servers: rcode, the
// flags a client acts on, and the sections sorted (loadbalance shuffles
// them), TTLs and SOA serials (the kubernetes plugin's is the time of its
// last sync) left out.
func canonical(r *dns.Msg) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s aa=%t tc=%t", dns.RcodeToString[r.Rcode], r.Authoritative, r.Truncated)
	for _, sec := range [][]dns.RR{r.Answer, r.Ns} {
		var rrs []string
		for _, rr := range sec {
			rr = dns.Copy(rr)
			rr.Header().Ttl = 0
			if soa, ok := rr.(*dns.SOA); ok {
				soa.Serial = 0
			}
			rrs = append(rrs, rr.String())
		}
		sort.Strings(rrs)
		b.WriteString("\n  " + strings.Join(rrs, "\n  "))
	}
	return b.String()
}

// A metric family as exposed in the text format.
type metricFamily struct {
	typ, help string
	labels    map[string]bool // label names
	series    map[string]bool // sample name and labels, value left out
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$`)
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

func parseMetrics(text string) map[string]*metricFamily {
	fams := map[string]*metricFamily{}
	family := func(name string) *metricFamily {
		if fams[name] == nil {
			fams[name] = &metricFamily{labels: map[string]bool{}, series: map[string]bool{}}
		}
		return fams[name]
	}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.SplitN(line, " ", 4); len(f) >= 3 && f[0] == "#" {
			switch f[1] {
			case "TYPE":
				family(f[2]).typ = f[3]
			case "HELP":
				if len(f) == 4 {
					family(f[2]).help = f[3]
				}
			}
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1]
		for _, suffix := range []string{"_bucket", "_sum", "_count", "_total", "_created"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && fams[base] != nil {
				name = base
				break
			}
		}
		fam := family(name)
		var labels []string
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			if p[1] != "le" && p[1] != "quantile" {
				fam.labels[p[1]] = true
			}
			labels = append(labels, p[0])
		}
		fam.series[m[1]+"{"+strings.Join(labels, ",")+"}"] = true
	}
	return fams
}

// corebindMetric matches the families corebind's plugins add.
var corebindMetric = regexp.MustCompile(`^coredns_(querylog|recursionacl|rfc2317|stubzones|chaosmask)_`)

func compareMetrics(stock, cb map[string]*metricFamily, sameSeries bool) (problems []string) {
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for name, s := range stock {
		c := cb[name]
		if c == nil {
			errorf("metric %s: upstream exposes it, corebind does not", name)
			continue
		}
		if s.typ != c.typ || s.help != c.help {
			errorf("metric %s: upstream %s %q, corebind %s %q", name, s.typ, s.help, c.typ, c.help)
		}
		if !maps.Equal(s.labels, c.labels) {
			errorf("metric %s: upstream labels %v, corebind %v", name, s.labels, c.labels)
		}
		if !sameSeries || name == "coredns_build_info" { // its revision label names the build
			continue
		}
		if !maps.Equal(s.series, c.series) {
			errorf("metric %s: upstream series\n%s\ncorebind\n%s", name, keys(s.series), keys(c.series))
		}
	}
	for name := range cb {
		if stock[name] == nil && !corebindMetric.MatchString(name) {
			errorf("metric %s: corebind exposes it, upstream does not", name)
		}
	}
	if !sameSeries {
		// The plugin chain: upstream's plugins, and corebind's on top.
		for s := range stock["coredns_plugin_enabled"].series {
			if !cb["coredns_plugin_enabled"].series[s] {
				errorf("corebind lacks %s", s)
			}
		}
	}
	return problems
}

func keys(m map[string]bool) string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return "  " + strings.Join(k, "\n  ")
}

// loggedJSON reports whether output holds a querylog JSON object for a
// query by client for qname (with or without the final dot).
func loggedJSON(output, client, qname string) bool {
	for _, line := range strings.Split(output, "\n") {
		var rec struct {
			ClientIP string `json:"client_ip"`
			Qname    string `json:"qname"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.ClientIP == client && strings.TrimSuffix(rec.Qname, ".") == qname {
			return true
		}
	}
	return false
}

// stripCorebind removes comment lines and corebind's directives (with their
// blocks) from a Corefile indented as deploy/kubernetes writes it.
func stripCorebind(corefile string) string {
	var out []string
	depth := 0 // inside a corebind directive's block
	for _, line := range strings.SplitAfter(corefile, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case depth > 0:
			depth += strings.Count(line, "{") - strings.Count(line, "}")
		case strings.HasPrefix(trimmed, "#"):
		case slices.Contains(corebindDirectives, strings.Fields(trimmed + " x")[0]):
			depth = strings.Count(line, "{") - strings.Count(line, "}")
		default:
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// manifest is what the test reads from deploy/kubernetes/coredns.yaml.
type manifest struct {
	corefile   string   // the ConfigMap's Corefile
	deployment string   // the Deployment document
	images     []string // its containers' images
}

// readManifest splits the YAML documents and takes the ConfigMap's Corefile,
// a literal block scalar, by its indentation.
func readManifest(t *testing.T, path string) manifest {
	t.Helper()
	var m manifest
	for _, doc := range strings.Split(string(distRead(t, path)), "\n---\n") {
		kind := regexp.MustCompile(`(?m)^kind: (\w+)$`).FindStringSubmatch(doc)
		if kind == nil {
			t.Fatalf("%s: a document without kind:\n%s", path, doc)
		}
		switch kind[1] {
		case "ConfigMap":
			lines := strings.Split(doc, "\n")
			i := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "Corefile: |" })
			if i < 0 {
				t.Fatalf("%s: the ConfigMap has no `Corefile: |` block", path)
			}
			keyIndent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
			indent := -1
			for _, l := range lines[i+1:] {
				n := len(l) - len(strings.TrimLeft(l, " "))
				if strings.TrimSpace(l) != "" && n <= keyIndent {
					break
				}
				if indent < 0 {
					indent = n
				}
				m.corefile += strings.TrimPrefix(l, strings.Repeat(" ", indent)) + "\n"
			}
			m.corefile = strings.TrimRight(m.corefile, "\n") + "\n"
		case "Deployment":
			m.deployment = doc
			for _, im := range regexp.MustCompile(`(?m)^\s+image: (\S+)$`).FindAllStringSubmatch(doc, -1) {
				m.images = append(m.images, im[1])
			}
		}
	}
	if m.corefile == "" || m.deployment == "" {
		t.Fatalf("%s: no ConfigMap Corefile or no Deployment", path)
	}
	return m
}

// buildVanilla returns upstream CoreDNS v1.15.0 built from this module
// (internal/vanilla, as ./build.sh vanilla builds it): $COREBIND_VANILLA when
// set, else a fresh build.
func buildVanilla(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("COREBIND_VANILLA"); p != "" {
		return p
	}
	path := filepath.Join(t.TempDir(), "coredns-vanilla")
	cmd := exec.Command("go", "build", "-trimpath", "-o", path, "./internal/vanilla")
	cmd.Dir = testkit.RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building upstream CoreDNS (internal/vanilla): %v\n%s", err, out)
	}
	return path
}
