// Package stackstart makes the Go runtime start goroutines with a 16 KiB
// stack in the coredns binary, so that a query's goroutine does not grow its
// stack while it is being answered.
//
// Why: miekg/dns starts a goroutine for every UDP query and the runtime gives
// it 2 KiB. Answering a query through CoreDNS's chain needs more: between 4
// and 8 KiB for vanilla CoreDNS serving a file zone, so every query's stack
// was grown twice (2 to 4 to 8 KiB), each time copied frame by frame;
// runtime.newstack was 12-14% of vanilla CoreDNS's CPU under load
// (bench/RESULTS.md, profiles). A longer chain, or the larger frames of a
// profile-guided build, needs more than 8 KiB on some paths: file's
// NXDOMAIN path recurses down its tree, and with default.pgo's inlining it
// crossed 8 KiB, which cost 13% of the CPU in the growth from 8 to 16 KiB
// (scenario 1 at 0.78 of vanilla with an 8 KiB start, 1.03 with 16 KiB).
//
// How: since Go 1.19 the runtime starts new goroutines with the average stack
// in use among the goroutines its last garbage collection scanned, rounded up
// to a power of two (runtime.gcComputeStartingStackSize). A busy server's
// goroutines are mostly queries that have not run yet and idle loops, so the
// average stays under 2 KiB. Keep parks goroutines that each hold about
// 14.5 KiB of stack, enough of them to lift that average above 7.3 KiB,
// which the runtime rounds to 16 KiB. It cannot lift it further: no average
// exceeds the largest stacks averaged, so new goroutines never start above
// 16 KiB.
//
// Kept by the rule for code that exists for speed (issue 15): in the same
// run of ./build.sh bench (scenario 10, bench/RESULTS.md, run of
// 2026-12-04 17:28) the binary served 1.21 times the queries per second
// with it as with GODEBUG=adaptivestackstart=0 (scenario 1's five plugins;
// 1.16 with file alone; 1.16 and 1.07 in the run of 15:28), and
// runtime.newstack fell from 17% of the CPU to none in the profiles. It
// costs 15 to 16 MB more resident memory (100.3 against 84.5 MiB with the
// five plugins, 91.2 against 76.5 with file alone; 9.2 MiB of goroutine
// stacks after the load, mostly the parked ones): 16 KiB per parked
// goroutine, as many as the most others of the last 50 looks (five seconds
// in the binary), at most 1024: 16 MiB.
// It is the binary's choice, not a plugin's: importers of a plugin are not
// affected. GODEBUG=adaptivestackstart=0 turns the runtime's adaptation off,
// and with it this.
package stackstart

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

const (
	// parkedFrame is the stack each parked goroutine holds: with what
	// the runtime keeps below it and its guard (928 bytes on
	// linux/amd64) it stays under 16 KiB, and TestKeep checks that the
	// average never rounds up to 32 KiB.
	parkedFrame = 14 << 10
	// maxParked bounds the memory spent: 1024 × 16 KiB = 16 MiB. Past
	// it (thousands of idle TCP connections) goroutines start smaller,
	// and grow as they did before.
	maxParked = 1024
	// slack keeps the parked goroutines ahead of a rise in queries.
	slack = 32
	// window is how many looks the count of others is remembered for.
	window = 50
)

// Keep starts parking goroutines and looks every interval at how many
// others there are, since they pull the average down: it keeps as many
// parked as the most others seen in the last 50 looks, plus slack. The
// queries in flight swing from a handful to hundreds between two looks
// under the same load, so the count follows their peaks, and it comes back
// down once a burst (or thousands of idle TCP connections) is over. It
// returns a function that releases them all, for tests; the coredns binary
// keeps them for its lifetime.
func Keep(interval time.Duration) (stop func()) {
	if strings.Contains(os.Getenv("GODEBUG"), "adaptivestackstart=0") {
		return func() {}
	}
	release := make(chan struct{})
	done := make(chan struct{})
	parked := 0
	var seen [window]int
	look := 0
	adjust := func() {
		seen[look%window] = runtime.NumGoroutine() - parked
		look++
		want := min(slices.Max(seen[:])+slack, maxParked)
		for ; parked < want; parked++ {
			go park(parked, release)
		}
		for ; parked > want; parked-- {
			release <- struct{}{}
		}
	}
	adjust()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				adjust()
			case <-done:
				for ; parked > 0; parked-- {
					release <- struct{}{}
				}
				close(done)
				return
			}
		}
	}()
	return func() { done <- struct{}{}; <-done }
}

// park holds a goroutine with parkedFrame bytes of stack in use until it is
// released. The index makes the frame's contents unknown to the compiler,
// and noinline keeps the result used, or the compiler would leave the array
// out.
//
//go:noinline
func park(i int, release <-chan struct{}) byte {
	var frame [parkedFrame]byte
	frame[i%parkedFrame] = byte(i)
	<-release
	return frame[(i+1)%parkedFrame]
}
