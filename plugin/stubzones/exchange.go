package stubzones

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Timeouts of one query to a primary or a stub server.
const (
	udpTimeout = 1500 * time.Millisecond
	tcpTimeout = 3 * time.Second
	ednsSize   = 1232 // the DNS flag day 2020 size: no fragmentation
)

// question is one query this plugin sends: never recursive.
type question struct {
	addr  string // host:port
	name  string
	qtype uint16
	do    bool     // ask for DNSSEC records
	tsig  *tsigKey // sign with this key (refresh queries only)

	// plainOnTimeout also retries without EDNS after a timeout, as BIND's refresh
	// does; resolution does not, as it would double the wait for a dead server.
	plainOnTimeout bool

	// spend, when set, is asked before each message is sent and stops the
	// exchange when it says no: resolution's budget of queries.
	spend func() bool
}

var errMismatch = errors.New("reply does not match the question")

// exchange sends q over UDP with EDNS, TCP if truncated, and again without
// EDNS on FORMERR without OPT, NOTIMP or SERVFAIL; replies must come from the
// address asked, echo the question and verify when signed.
func exchange(ctx context.Context, q question, count func(rcode string)) (*dns.Msg, error) {
	r, err := exchangeOnce(ctx, q, true, count)
	if retryPlain(r, err, q.plainOnTimeout) && ctx.Err() == nil {
		return exchangeOnce(ctx, q, false, count)
	}
	return r, err
}

func retryPlain(r *dns.Msg, err error, onTimeout bool) bool {
	if err != nil {
		return onTimeout && isTimeout(err)
	}
	switch r.Rcode {
	case dns.RcodeFormatError:
		return r.IsEdns0() == nil
	case dns.RcodeNotImplemented, dns.RcodeServerFailure:
		return true
	}
	return false
}

func exchangeOnce(ctx context.Context, q question, edns bool, count func(string)) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.RecursionDesired = false
	if edns {
		m.SetEdns0(ednsSize, q.do)
	}
	r, err := send(ctx, "udp", q, m, count)
	if err == nil && r.Truncated {
		r, err = send(ctx, "tcp", q, m, count)
	}
	return r, err
}

func send(ctx context.Context, network string, q question, m *dns.Msg, count func(string)) (*dns.Msg, error) {
	if q.spend != nil && !q.spend() {
		return nil, errBudget
	}
	c := &dns.Client{Net: network, Timeout: udpTimeout, UDPSize: ednsSize}
	if network == "tcp" {
		c.Timeout = tcpTimeout
	}
	if q.tsig != nil {
		m = m.Copy() // the signature is per attempt
		m.SetTsig(q.tsig.name, q.tsig.algorithm, tsigFudge, time.Now().Unix())
		c.TsigSecret = map[string]string{q.tsig.name: q.tsig.secret}
	}
	co, err := c.DialContext(ctx, q.addr) // within c.Timeout
	if err != nil {
		count("error")
		return nil, fmt.Errorf("%s over %s: %w", dns.TypeToString[q.qtype], network, err)
	}
	// Deadlines end a slow exchange; closing the connection is what ends it
	// at once when ctx is cancelled (a shutdown).
	stop := context.AfterFunc(ctx, func() { co.Close() })
	defer func() {
		if stop() {
			co.Close()
		}
	}()
	r, _, err := c.ExchangeWithConnContext(ctx, m, co)
	if err != nil {
		if isTimeout(err) {
			count("timeout")
		} else {
			count("error")
		}
		// The address is the caller's to name; keep what went wrong.
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err
		}
		return nil, fmt.Errorf("%s over %s: %w", dns.TypeToString[q.qtype], network, err)
	}
	count(rcodeLabel(r.Rcode))
	if !r.Response || r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 ||
		!strings.EqualFold(r.Question[0].Name, q.name) || r.Question[0].Qtype != q.qtype || r.Question[0].Qclass != dns.ClassINET {
		return nil, fmt.Errorf("%s over %s: %w", dns.TypeToString[q.qtype], network, errMismatch)
	}
	if q.tsig != nil && r.IsTsig() == nil {
		return nil, fmt.Errorf("%s over %s: unsigned reply to a query signed with key %s", dns.TypeToString[q.qtype], network, q.tsig.name)
	}
	return r, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rcodeLabel is the rcode's name, from a fixed set so a server cannot grow
// the metric's label values.
func rcodeLabel(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "OTHER"
}
