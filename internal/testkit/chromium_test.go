package testkit

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestChromium: the harness sees what a page does wrong. A page that logs
// to the console and tries to reach an address off loopback (TEST-NET-1, and
// a name) has its messages collected, and the attempts end at the dead
// loopback proxy: no connection leaves loopback.
func TestChromium(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><p id="x">static</p><script>
console.error("boom");
fetch("http://192.0.2.1/probe").catch(() => {});
fetch("http://off-loopback.example/probe").catch(() => {});
document.getElementById("x").textContent = "scripted";
</script>`))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	p := Chromium(t, "http://"+ln.Addr().String()+"/", t.TempDir(), "shot", 400, 300, 2*time.Second)
	if !strings.Contains(p.DOM, `<p id="x">scripted</p>`) {
		t.Errorf("the DOM is not the scripted one:\n%s", p.DOM)
	}
	if len(p.Console) == 0 || !strings.Contains(strings.Join(p.Console, "\n"), "boom") {
		t.Errorf("console.error not collected: %q", p.Console)
	}
	var tried []string
	for _, u := range p.Requests {
		if strings.Contains(u, "/probe") {
			tried = append(tried, u)
		}
	}
	if len(tried) != 2 {
		t.Errorf("the off-loopback requests are not in the net log: %q", p.Requests)
	}
	if len(p.Connects) == 0 {
		t.Error("no connection recorded")
	}
	for _, a := range p.Connects {
		if !a.Addr().IsLoopback() {
			t.Errorf("connected to %s, off loopback", a)
		}
	}
}
