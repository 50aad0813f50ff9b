package stubzones

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The header of a saved copy: zone-file comments a loader can read back.
const (
	headerZone    = "; zone: "
	headerPrimary = "; primary: "
	headerFetched = "; fetched: "
)

// zonePath is zone's file in dir: safe characters kept, others %XX, labels
// joined by '.', root '@', hashed when too long; no '/', '..' or hidden file.
func zonePath(dir, zone string) string {
	return filepath.Join(dir, zoneFileName(zone))
}

func zoneFileName(zone string) string {
	if zone == "." {
		return "@.stub"
	}
	buf := make([]byte, 256)
	if _, err := dns.PackDomainName(dns.Fqdn(zone), buf, 0, nil, false); err != nil {
		// Not reached for names that passed setup; hash whatever it is.
		return hashName(zone)
	}
	// The wire form has each label unescaped, behind its length byte.
	var b strings.Builder
	for off := 0; buf[off] != 0; off += 1 + int(buf[off]) {
		if off > 0 {
			b.WriteByte('.')
		}
		for _, c := range buf[off+1 : off+1+int(buf[off])] {
			switch {
			case c >= 'A' && c <= 'Z':
				b.WriteByte(c + 'a' - 'A')
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
				b.WriteByte(c)
			default:
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
	}
	if b.Len() > 200 {
		return hashName(b.String())
	}
	return b.String() + ".stub"
}

func hashName(s string) string {
	h := sha256.Sum256([]byte(s))
	return "%" + hex.EncodeToString(h[:16]) + ".stub"
}

// save writes d atomically (temp file, fsync, rename, fsync dir), so two
// instances overlapping in a reload never see a partial file.
func save(path, zone string, d *stubData) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "; Stub zone copy kept by CoreDNS's stubzones plugin; rewritten on every refresh.\n")
	fmt.Fprintf(&b, "%s%s\n%s%s\n%s%s\n", headerZone, zone, headerPrimary, d.primary, headerFetched, d.fetched.UTC().Format(time.RFC3339Nano))
	for _, rr := range d.records() {
		b.WriteString(rr.String())
		b.WriteByte('\n')
	}

	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if df, err := os.Open(dir); err == nil {
		df.Sync()
		df.Close()
	}
	return nil
}

// load reads a saved copy; without a header time (a BIND stub file) the
// file's mtime is the fetch time, as in BIND.
func load(path, zone string, o *options) (*stubData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("%d bytes is too large for a stub zone copy", info.Size())
	}
	// Bounded too: the file may grow between Stat and the read (a
	// truncated copy then fails to parse, as any damaged one does).
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize))
	if err != nil {
		return nil, err
	}

	fetched, primary := info.ModTime(), ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, ";") {
			break
		}
		if got, ok := strings.CutPrefix(line, headerZone); ok && !strings.EqualFold(got, zone) {
			return nil, fmt.Errorf("holds zone %s, not %s", got, zone)
		}
		if p, ok := strings.CutPrefix(line, headerPrimary); ok {
			primary = p
		}
		if t, ok := strings.CutPrefix(line, headerFetched); ok {
			if fetched, err = time.Parse(time.RFC3339Nano, t); err != nil {
				return nil, fmt.Errorf("bad fetch time: %v", err)
			}
		}
	}

	var (
		soa  *dns.SOA
		ns   []*dns.NS
		glue []dns.RR
	)
	zp := dns.NewZoneParser(bytes.NewReader(data), zone, path)
	zp.SetIncludeAllowed(false)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch rr := rr.(type) {
		case *dns.SOA:
			if soa != nil {
				return nil, fmt.Errorf("more than one SOA record")
			}
			soa = rr
		case *dns.NS:
			ns = append(ns, rr)
		case *dns.A, *dns.AAAA:
			glue = append(glue, rr)
		default:
			return nil, fmt.Errorf("unexpected %s record for %s", dns.TypeToString[rr.Header().Rrtype], rr.Header().Name)
		}
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	return newStubData(zone, soa, ns, glue, o, fetched, primary)
}

// maxFileSize bounds what load reads: a stub copy is a few hundred bytes.
const maxFileSize = 1 << 20
