package logsink_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/corebind/corebind/plugin/pkg/bindfmt"
	"github.com/corebind/corebind/plugin/pkg/logsink"
)

// denial is a plugin's log record: plain values, cheap to copy on the
// query path.
type denial struct {
	at     time.Time
	client netip.AddrPort
	qname  string
}

// A plugin parses the output options of its Corefile block with
// Output.Option, creates a Queue in setup, starts it in OnStartup, stops it
// in OnShutdown, and enqueues records in ServeDNS.
func ExampleQueue() {
	dir, _ := os.MkdirTemp("", "logsink")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "security.log")

	var out logsink.Output
	if _, err := out.Option("output", []string{"file", path}); err != nil {
		panic(err)
	}
	q, err := logsink.New(logsink.Options[denial]{
		Output: out,
		Size:   1024,
		Prefix: true, // BIND's file-channel prefix
		Format: func(e *logsink.Emitter, d *denial) {
			b := e.Buf()
			b = bindfmt.AppendClient(b, 1, d.client, "", d.qname)
			b = append(b, "query (cache) '"...)
			b = bindfmt.AppendName(b, d.qname)
			b = append(b, "/A/IN' denied"...)
			e.Emit(d.at, logsink.SevInfo, "security", b)
		},
		Dropped: func(*denial) { /* count it in a metric */ },
	})
	if err != nil {
		panic(err)
	}
	if err := q.Start(); err != nil { // OnStartup
		panic(err)
	}
	at := time.Date(2026, time.November, 21, 5, 13, 46, 800e6, time.UTC)
	q.Enqueue(denial{at: at, client: netip.MustParseAddrPort("192.0.2.9:5353"), qname: "www.example.net."}) // ServeDNS
	q.Stop()                                                                                                // OnShutdown

	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// 21-Nov-2026 05:13:46.800 security: info: client @0x1 192.0.2.9#5353 (www.example.net): query (cache) 'www.example.net/A/IN' denied
}
