#!/usr/bin/env bash
# bench/pgo.sh OUTPUT: writes the CPU profile that ./coredns is built with
# (default.pgo, Go's profile-guided optimization), called by ./build.sh pgo.
#
# The profile is taken the same way every time, so that refreshing it is
# repeatable: a binary built without any profile (the old one does not
# shape the new one), the same generated zones and query files (benchtool
# is deterministic), the same Corefile, the same load for the same time.
# The workload is a mix of what corebind servers do:
#   - authoritative answers from file (10% NXDOMAIN) through querylog
#     (file, bind format, statistics), chaosmask and recursionacl, as in
#     scenario 1 of the benchmark, and rrl as Corefile.example's external
#     server runs it (log-only: its accounts are kept and judged, but the
#     load's one /24 must not be limited, or the profile would show drops);
#   - recursive answers through cache and forward to a BIND 9 upstream
#     this script starts, for a client recursionacl allows (127.0.0.2);
#   - the same queries from a client it denies (127.0.0.3): authoritative
#     answers, and REFUSED for the rest.
# Everything stays on loopback.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly ROOT=$PWD OUTPUT=${1:?usage: bench/pgo.sh OUTPUT}
readonly SECONDS_PROFILED=${PGO_SECONDS:-20} NAMES=10000
readonly WORK=$ROOT/bench/out/pgo
die() { echo "pgo: $*" >&2; exit 1; }
for tool in dnsperf named dig taskset go curl; do
	command -v "$tool" >/dev/null || die "$tool is not installed (./build.sh deps installs it)"
done

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

echo "pgo: building a binary without a profile, and the data"
CGO_ENABLED=0 go -C "$ROOT" build -pgo=off -trimpath -o "$WORK/coredns" .
go -C "$ROOT" build -o "$WORK/benchtool" ./bench/benchtool
./benchtool zone -origin bench.test. -names $NAMES -o bench.test.zone
./benchtool zone -origin up.test. -names $NAMES -o up.test.zone
./benchtool queries -origin bench.test. -names $NAMES -count $((NAMES * 10)) -o auth.queries
./benchtool queries -origin up.test. -names $NAMES -count $((NAMES * 10)) -o up.queries
# One query file: authoritative and recursive names in turn.
paste -d '\n' auth.queries up.queries >mix.queries
read -r dns stats pprof upstream < <(./benchtool ports -n 4 | xargs)

# Core 0 serves (the upstream shares it), the others load.
cpus=$(nproc)
load=1
((cpus > 1)) || load=0
((cpus <= 2)) || load=1-$((cpus - 1))

cat >named.conf <<EOF
options {
    directory "$WORK";
    pid-file none;
    listen-on port $upstream { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    notify no;
};
controls { };
zone "up.test" { type primary; file "up.test.zone"; };
EOF
taskset -c 0 named -g -n 1 -c named.conf >named.out 2>&1 &
pids+=($!)

cat >Corefile <<EOF
.:$dns {
    bind 127.0.0.1
    pprof 127.0.0.1:$pprof
    querylog {
        output file query.log
        format bind
        stats {
            top 100
            names 100
            listen 127.0.0.1:$stats
        }
    }
    chaosmask
    recursionacl {
        allow 127.0.0.2
    }
    rrl {
        responses-per-second 1000
        log-only
    }
    file bench.test.zone bench.test
    cache
    forward . 127.0.0.1:$upstream
}
EOF
taskset -c 0 ./coredns -conf Corefile >coredns.out 2>&1 &
pids+=($!)

ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		dig -p "$1" @127.0.0.1 -b 127.0.0.2 +tries=1 +time=1 "$2" 2>/dev/null | grep -q 'status: NOERROR' && return
		sleep 0.2
	done
	die "no answer for $2 on port $1 (see $WORK)"
}
ready "$upstream" h00001.up.test
ready "$dns" h00001.bench.test
ready "$dns" h00001.up.test

perf() {
	taskset -c "$load" dnsperf -s 127.0.0.1 -p "$dns" -a "$1" -d mix.queries -l "$2" -c 4 -q 128 -t 2 >"dnsperf-$1.txt" 2>&1
}
echo "pgo: warming the cache, then profiling ${SECONDS_PROFILED}s of load from 127.0.0.2 (allowed) and 127.0.0.3 (denied)"
perf 127.0.0.2 2
perf 127.0.0.2 $((SECONDS_PROFILED + 2)) &
a=$!
perf 127.0.0.3 $((SECONDS_PROFILED + 2)) &
b=$!
sleep 1
curl -sf -o profile.pprof "http://127.0.0.1:$pprof/debug/pprof/profile?seconds=$SECONDS_PROFILED" || die "no profile from the pprof plugin"
wait $a $b || die "dnsperf failed (see $WORK/dnsperf-*.txt)"
grep -q 'REFUSED' dnsperf-127.0.0.3.txt || die "the denied client got no REFUSED: the workload is not what it claims"
grep 'Queries per second' dnsperf-127.0.0.*.txt
cp profile.pprof "$OUTPUT"
echo "pgo: wrote $OUTPUT ($(stat -c %s "$OUTPUT") bytes)"
