package verify

import (
	"strings"
	"testing"
)

// FuzzReadQueries: any query file gives queries or errors naming
// FILE:LINE, never a panic; every query read builds a message that packs.
func FuzzReadQueries(f *testing.F) {
	for _, s := range []string{
		"03-Dec-2026 20:47:04.771 queries: info: client @0x7f21cde32098 127.0.0.2#38943 (www.example.org): query: www.example.org IN AAAA -E(0)DCK (127.0.0.1)\n",
		"client 127.0.0.1#5 (a): query: we\\032ird\\.na\\\"me.example.org IN TYPE65000 +SE(0)TDCV (127.0.0.1#53) [ECS 192.0.2.0/24/0]\n",
		"client 127.0.0.1#5 (a): query: a IN A +E(\n",
		`{"type":"query","qname":"www.example.org.","qtype":"A","qclass":"IN","rd":true,"edns_version":0,"edns_bufsize":1232,"proto":"tcp"}` + "\n",
		"www.example.org A\nexample.org IN MX\n; comment\n",
		"\\000.example A CH\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fq, err := ReadQueries(strings.NewReader(in), "f.log")
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.log:") {
					t.Fatalf("error line without FILE:LINE: %q", line)
				}
			}
			return
		}
		for _, q := range fq.Queries {
			if _, err := q.Msg().Pack(); err != nil {
				t.Fatalf("query %v from %q does not pack: %v", q, in, err)
			}
		}
	})
}
