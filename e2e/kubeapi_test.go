package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/corebind/corebind/internal/testkit"
)

// kubeAPI is a fake Kubernetes API server, just enough for CoreDNS's
// kubernetes plugin: it answers the list and watch calls for services,
// endpointslices and namespaces with a small fixed cluster (the kubernetes
// and kube-dns Services, their EndpointSlices, two namespaces), both the
// classic way (LIST, then WATCH) and the streaming way client-go uses since
// Kubernetes 1.35 (WATCH with sendInitialEvents, ended by a bookmark). Until
// release is called it holds every answer back, so the test can watch
// readiness wait for the plugin's sync.
type kubeAPI struct {
	*httptest.Server
	token string

	mu       sync.Mutex
	released chan struct{}
	once     sync.Once
	requests []string // "GET /api/v1/services?...", in order
	badAuth  []string // requests without the service account token
}

// The cluster the fake API server describes.
var kubeObjects = map[string]struct {
	kind  string
	items []string
}{
	"/api/v1/services": {"Service", []string{
		`{"metadata":{"name":"kubernetes","namespace":"default","uid":"1","resourceVersion":"1"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.1","clusterIPs":["10.96.0.1"],"ports":[{"name":"https","protocol":"TCP","port":443,"targetPort":6443}]}}`,
		`{"metadata":{"name":"kube-dns","namespace":"kube-system","uid":"2","resourceVersion":"1"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"ports":[{"name":"dns","protocol":"UDP","port":53,"targetPort":53},{"name":"dns-tcp","protocol":"TCP","port":53,"targetPort":53},{"name":"metrics","protocol":"TCP","port":9153,"targetPort":9153}]}}`,
	}},
	"/apis/discovery.k8s.io/v1/endpointslices": {"EndpointSlice", []string{
		`{"metadata":{"name":"kubernetes","namespace":"default","uid":"3","resourceVersion":"1","labels":{"kubernetes.io/service-name":"kubernetes"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.2"],"conditions":{"ready":true}}],"ports":[{"name":"https","protocol":"TCP","port":6443}]}`,
		`{"metadata":{"name":"kube-dns-x1","namespace":"kube-system","uid":"4","resourceVersion":"1","labels":{"kubernetes.io/service-name":"kube-dns"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.0.2"],"conditions":{"ready":true}}],"ports":[{"name":"dns","protocol":"UDP","port":53},{"name":"dns-tcp","protocol":"TCP","port":53},{"name":"metrics","protocol":"TCP","port":9153}]}`,
	}},
	"/api/v1/namespaces": {"Namespace", []string{
		`{"metadata":{"name":"default","uid":"5","resourceVersion":"1"}}`,
		`{"metadata":{"name":"kube-system","uid":"6","resourceVersion":"1"}}`,
	}},
}

// startKubeAPI serves the fake API over TLS on addr inside ns; token is the
// service account token every request must carry.
func startKubeAPI(t *testing.T, ns *testkit.Netns, addr, token string) *kubeAPI {
	t.Helper()
	k := &kubeAPI{token: token, released: make(chan struct{})}
	k.Server = httptest.NewUnstartedServer(http.HandlerFunc(k.serve))
	k.Listener.Close()
	k.Listener = ns.Listen(t, "tcp", addr)
	k.StartTLS()
	t.Cleanup(func() {
		// Close waits for the requests in flight: let the held ones go and
		// end the watches.
		k.release()
		k.CloseClientConnections()
		k.Close()
	})
	return k
}

// release lets the held answers go.
func (k *kubeAPI) release() { k.once.Do(func() { close(k.released) }) }

// Requests returns the requests served so far and those that lacked the token.
func (k *kubeAPI) Requests() (all, badAuth []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.requests...), append([]string(nil), k.badAuth...)
}

func (k *kubeAPI) serve(w http.ResponseWriter, r *http.Request) {
	req := r.Method + " " + r.URL.RequestURI()
	k.mu.Lock()
	k.requests = append(k.requests, req)
	if r.Header.Get("Authorization") != "Bearer "+k.token {
		k.badAuth = append(k.badAuth, req)
	}
	k.mu.Unlock()

	objs, ok := kubeObjects[r.URL.Path]
	if r.Method != http.MethodGet || !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"%s not found","reason":"NotFound","code":404}`, r.URL.Path)
		return
	}
	select {
	case <-k.released:
	case <-r.Context().Done():
		return
	}
	apiVersion := "v1"
	if strings.HasPrefix(r.URL.Path, "/apis/") {
		apiVersion = strings.TrimPrefix(r.URL.Path[:strings.LastIndex(r.URL.Path, "/")], "/apis/")
	}
	item := func(raw string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"kind":%q,"apiVersion":%q,%s`, objs.kind, apiVersion, raw[1:]))
	}
	w.Header().Set("Content-Type", "application/json")
	q := r.URL.Query()
	if q.Get("watch") != "true" && q.Get("watch") != "1" {
		items := []json.RawMessage{}
		for _, raw := range objs.items {
			items = append(items, item(raw))
		}
		json.NewEncoder(w).Encode(map[string]any{
			"kind": objs.kind + "List", "apiVersion": apiVersion,
			"metadata": map[string]string{"resourceVersion": "1"}, "items": items,
		})
		return
	}
	// A watch: with sendInitialEvents, the current objects as ADDED events
	// and the bookmark that ends them; then nothing changes until the client
	// goes away or the server stops.
	enc := json.NewEncoder(w)
	if q.Get("sendInitialEvents") == "true" {
		for _, raw := range objs.items {
			enc.Encode(map[string]any{"type": "ADDED", "object": item(raw)})
		}
		enc.Encode(map[string]any{"type": "BOOKMARK", "object": item(`{"metadata":{"resourceVersion":"1","annotations":{"k8s.io/initial-events-end":"true"}}}`)})
	}
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}
