package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// floodResult is what flood writes (-o): the memory of the server as the
// distinct clients grow, and what its statistics made of them.
type floodResult struct {
	Server      string         `json:"server"`
	Clients     int            `json:"distinct_clients"`
	Queries     int            `json:"queries"`
	Answered    int            `json:"answered"`
	Rcodes      map[string]int `json:"rcodes"`
	Seconds     float64        `json:"seconds"`
	Checkpoints []checkpoint   `json:"checkpoints"`
	Heavy       []heavy        `json:"heavy_hitters"`
	Stats       *floodStats    `json:"stats,omitempty"`
}

// checkpoint is the server's resident memory after Sent queries from
// Distinct clients.
type checkpoint struct {
	Sent     int `json:"queries_sent"`
	Distinct int `json:"distinct_clients_so_far"`
	RSSKiB   int `json:"rss_kib"`
}

// heavy is one of the known top talkers mixed into the flood: its true
// count and what the statistics reported (0: not in the table).
type heavy struct {
	IP       string `json:"ip"`
	Sent     int    `json:"sent"`
	Reported uint64 `json:"reported"`
	Rank     int    `json:"rank"`
}

// floodStats is the part of querylog's GET /json the report uses.
type floodStats struct {
	Queries     uint64 `json:"queries"`
	ClientsSeen uint64 `json:"clients_seen"`
	TopSlots    int    `json:"top_slots"`
	ErrorBound  uint64 `json:"error_bound"`
	Clients     []struct {
		IP      string `json:"ip"`
		Queries uint64 `json:"queries"`
		Error   uint64 `json:"error"`
	} `json:"clients"`
	Tracked int `json:"tracked"`
	// TopAreHeavy says the heavy hitters hold the first len(Heavy) places
	// of the table, in order of their true counts.
	TopAreHeavy bool `json:"top_are_heavy_hitters"`
}

// cmdFlood sends one query from each of -clients distinct source addresses
// (127.1.0.0 upwards: Linux routes all of 127.0.0.0/8 to loopback, and one
// socket can send from any of them with IP_PKTINFO), mixed with -heavy top
// talkers (127.0.0.2 upwards) that send known, larger counts. It samples the
// resident memory of -pid as the clients grow and, with -stats, checks what
// querylog's statistics endpoint reports against the truth.
func cmdFlood(fs *flag.FlagSet, args []string) error {
	server := fs.String("server", "127.0.0.1:53", "server address")
	clients := fs.Int("clients", 1000000, "distinct source addresses, one query each")
	heavyN := fs.Int("heavy", 10, "top talkers mixed in")
	heavyMin := fs.Int("heavy-min", 20000, "queries of the smallest top talker")
	heavyStep := fs.Int("heavy-step", 2000, "how many more each larger top talker sends")
	zone := fs.String("zone", "bench.test.", "zone asked (names written by zone)")
	names := fs.Int("names", 10000, "names in the zone")
	batch := fs.Int("batch", 256, "queries in flight at once")
	pid := fs.Int("pid", 0, "server process whose memory is sampled (0: none)")
	stats := fs.String("stats", "", "querylog statistics URL (http://HOST:PORT/json) to check")
	out := fs.String("o", "-", "result file (JSON)")
	fs.Parse(args)

	dst, err := netip.ParseAddrPort(*server)
	if err != nil {
		return fmt.Errorf("-server: %v", err)
	}
	if *clients < 1 || *clients > 1<<23 || *heavyN < 0 || *heavyN > 250 || *batch < 1 || *batch > 4096 {
		return errors.New("want 1 ≤ -clients ≤ 8388608, 0 ≤ -heavy ≤ 250, 1 ≤ -batch ≤ 4096")
	}

	// The sending order: every distinct client once, the top talkers
	// spread through it at random. Indexes from *clients on are the top
	// talkers.
	var order []uint32
	for i := range *clients {
		order = append(order, uint32(i))
	}
	res := &floodResult{Server: *server, Clients: *clients, Rcodes: map[string]int{}}
	for h := range *heavyN {
		n := *heavyMin + (*heavyN-1-h)**heavyStep
		res.Heavy = append(res.Heavy, heavy{IP: heavyAddr(h).String(), Sent: n})
		for range n {
			order = append(order, uint32(*clients+h))
		}
	}
	r := newRand(5)
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	source := func(k uint32) netip.Addr {
		if int(k) >= *clients {
			return heavyAddr(int(k) - *clients)
		}
		return clientAddr(int(k))
	}

	conn, err := listenAnySource()
	if err != nil {
		return err
	}
	defer conn.Close()

	qs := make([][]byte, *names)
	for i := range qs {
		m := new(dns.Msg)
		m.SetQuestion(hostName(i)+"."+dns.Fqdn(*zone), dns.TypeA)
		if qs[i], err = m.Pack(); err != nil {
			return err
		}
	}

	sample := func(sent int) {
		if *pid == 0 {
			return
		}
		distinct := 0
		for _, k := range order[:sent] {
			if int(k) < *clients {
				distinct++
			}
		}
		res.Checkpoints = append(res.Checkpoints, checkpoint{sent, distinct, rssKiB(*pid)})
	}
	sample(0)
	every := max(len(order)/10, 1)
	nextSample := every

	start := time.Now()
	buf := make([]byte, 4096)
	msg := make([]byte, 0, 512)
	var seq uint16
	for sent := 0; sent < len(order); {
		n := min(*batch, len(order)-sent)
		first := seq
		for j := range n {
			msg = append(msg[:0], qs[r.IntN(len(qs))]...)
			binary.BigEndian.PutUint16(msg, seq)
			seq++
			if err := conn.sendFrom(msg, source(order[sent+j]), dst); err != nil {
				return fmt.Errorf("sending from %s: %w", source(order[sent+j]), err)
			}
		}
		sent += n
		res.Queries += n
		// Collect this batch's replies; a lost one is waited for at
		// most a second.
		conn.SetReadDeadline(time.Now().Add(time.Second))
		for got := 0; got < n; {
			m, err := conn.Read(buf)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break
				}
				return err
			}
			if m < 12 || binary.BigEndian.Uint16(buf)-first >= uint16(n) {
				continue // a late reply of an earlier batch
			}
			got++
			res.Answered++
			res.Rcodes[dns.RcodeToString[int(buf[3]&0x0f)]]++
		}
		if sent >= nextSample || sent == len(order) {
			sample(sent)
			nextSample += every
		}
	}
	res.Seconds = time.Since(start).Seconds()

	if *stats != "" {
		if res.Stats, err = fetchStats(*stats); err != nil {
			return err
		}
		res.Stats.Tracked = len(res.Stats.Clients)
		rank := map[string]int{}
		for i, c := range res.Stats.Clients {
			rank[c.IP] = i + 1
		}
		res.Stats.TopAreHeavy = true
		for h := range res.Heavy {
			hv := &res.Heavy[h]
			hv.Rank = rank[hv.IP]
			if hv.Rank > 0 {
				hv.Reported = res.Stats.Clients[hv.Rank-1].Queries
			}
			if hv.Rank != h+1 {
				res.Stats.TopAreHeavy = false
			}
		}
	}

	if err := writeJSON(*out, res); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "flood: %d queries from %d distinct clients in %.1fs, %d answered\n",
		res.Queries, res.Clients, res.Seconds, res.Answered)
	return nil
}

// clientAddr is the i-th distinct client: 127.1.0.0 + i.
func clientAddr(i int) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], 0x7f010000+uint32(i))
	return netip.AddrFrom4(b)
}

// heavyAddr is the h-th top talker: 127.0.0.2 + h.
func heavyAddr(h int) netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + h)}) }

// rssKiB is the resident memory of process pid (VmRSS), 0 if unknown.
func rssKiB(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

func fetchStats(url string) (*floodStats, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var st floodStats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	return &st, nil
}
