package namedconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/miekg/dns"
)

// maxZoneRecords bounds what ReadZone keeps: conversion needs the pattern of
// a zone, not a copy of a huge one.
const maxZoneRecords = 1_000_000

// ReadZone reads a zone file with its $INCLUDE, $ORIGIN, $TTL and $GENERATE
// directives ($INCLUDE paths relative to the file, as BIND reads them
// relative to its directory, which for a copied configuration is the same).
func ReadZone(path, origin string) ([]dns.RR, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zp := dns.NewZoneParser(f, dns.Fqdn(origin), path)
	zp.SetIncludeAllowed(true)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
		if len(rrs) > maxZoneRecords {
			return nil, fmt.Errorf("%s: more than %d records", path, maxZoneRecords)
		}
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	return rrs, nil
}

// ZoneFile is a primary zone of a named.conf: its origin (fully qualified)
// and its zone file's path as found on this machine.
type ZoneFile struct {
	Name string
	File string
}

// ZoneFiles lists the primary zones of the named.conf at path, views
// included (a zone in several views once), with absolute file paths.
func ZoneFiles(path string) ([]ZoneFile, error) {
	cfg, err := ParseFile(path)
	if err != nil {
		return nil, err
	}
	var out []ZoneFile
	seen := map[ZoneFile]bool{}
	add := func(z *Statement) {
		t := strings.ToLower(ZoneType(z))
		if t != "primary" && t != "master" {
			return
		}
		fs := Find(z.Body(), "file")
		if fs == nil || fs.Arg(0) == "" {
			return
		}
		file, _ := cfg.Resolve(fs.Arg(0), fs.Pos.File)
		if a, err := filepath.Abs(file); err == nil {
			file = a
		}
		zf := ZoneFile{Name: dns.Fqdn(strings.ToLower(z.Arg(0))), File: file}
		if !seen[zf] {
			seen[zf] = true
			out = append(out, zf)
		}
	}
	for _, s := range cfg.Statements {
		switch s.Name() {
		case "zone":
			add(s)
		case "view":
			for _, z := range s.Body() {
				if z.Name() == "zone" {
					add(z)
				}
			}
		}
	}
	return out, nil
}

// ZoneType is a zone statement's type (lower-cased, as written: "master" and
// "primary" both), or "" when it has none (an in-view zone).
func ZoneType(z *Statement) string {
	if t := Find(z.Body(), "type"); t != nil {
		return strings.ToLower(t.Arg(0))
	}
	return ""
}
