#!/usr/bin/env bash
# bench/run.sh — corebind against vanilla CoreDNS and BIND 9, side by side in
# one run (issue 8). Run it through ./build.sh bench [--quick], which builds
# both binaries first; bench/README.md says what each scenario measures.
#
# usage: bench/run.sh [--quick] COREBIND_BINARY VANILLA_BINARY NOPGO_BINARY
#
# NOPGO_BINARY is corebind built from the same code without default.pgo.
#
# Every server listens on 127.0.0.1 at a high port and runs pinned to one
# core; dnsperf runs pinned to the others. The variants of a scenario run
# side by side and are measured in alternation, round after round, so that
# a drift of the machine touches them alike. Raw outputs go to
# bench/out/MODE/, the summary to bench/RESULTS.md and bench/results.json
# (--quick: bench/out/quick/). Every process started here is stopped on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
readonly ROOT=$PWD

die() { echo "bench: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }

QUICK=false
if [[ ${1:-} == --quick ]]; then
	QUICK=true
	shift
fi
(($# == 3)) || die "usage: bench/run.sh [--quick] COREBIND_BINARY VANILLA_BINARY NOPGO_BINARY"
COREBIND=$(realpath "$1")
VANILLA=$(realpath "$2")
NOPGO=$(realpath "$3")
readonly COREBIND VANILLA NOPGO QUICK
for tool in dnsperf named dig taskset go; do
	command -v "$tool" >/dev/null || die "$tool is not installed (./build.sh deps installs the Debian packages)"
done

# The run's size. --quick checks the harness end to end in a minute or two;
# its figures mean nothing. BENCH_ROUNDS and BENCH_SECONDS override the full
# run's (about 20 minutes). Many short rounds rather than a
# few long ones: the two runs of a pair are closer in time, so a change in
# the machine's other work touches both alike, and the median of more pairs
# shrugs off the odd disturbed one.
#
# The flood's top talkers each send more than the Space-Saving error bound
# (all queries / 100 slots), so the statistics must list them first.
#
# BENCH_ONLY ("1 2 flood go") runs some scenarios only; BENCH_PROFILE=1
# takes a CPU profile of every CoreDNS server during its last round
# (bench/out/MODE/profiles/). Either keeps the published figures as they
# are: the report goes to bench/out/MODE/.
if $QUICK; then
	readonly MODE=quick ROUNDS=1 SECONDS_PER_RUN=1 WARMUP=0.5 NAMES=1000
	readonly FLOOD_CLIENTS=20000 FLOOD_HEAVY_MIN=1000 FLOOD_HEAVY_STEP=100 BENCHTIME=1x
	readonly OUT=$ROOT/bench/out/quick
	readonly RESULTS_DIR=$OUT
else
	readonly MODE=full ROUNDS=${BENCH_ROUNDS:-5} SECONDS_PER_RUN=${BENCH_SECONDS:-4} WARMUP=1 NAMES=10000
	readonly FLOOD_CLIENTS=1000000 FLOOD_HEAVY_MIN=15000 FLOOD_HEAVY_STEP=1000 BENCHTIME=1s
	readonly OUT=$ROOT/bench/out/full
	# Only a whole run replaces the published figures.
	if [[ -n ${BENCH_ONLY:-} || -n ${BENCH_PROFILE:-} ]]; then
		readonly RESULTS_DIR=$OUT
	else
		readonly RESULTS_DIR=$ROOT/bench
	fi
fi
readonly PREFIX_SIZES=(100 10000 100000)

# Core 0 serves, the others load. One core alone does both.
NCPU=$(nproc)
readonly SERVER_CPU=0
case $NCPU in
1) LOAD_CPUS=0 ;;
2) LOAD_CPUS=1 ;;
*) LOAD_CPUS=1-$((NCPU - 1)) ;;
esac
readonly LOAD_CPUS
readonly DNSPERF_THREADS=$((NCPU > 2 ? (NCPU - 1 > 4 ? 4 : NCPU - 1) : 1))
readonly DNSPERF_ARGS=(-c 4 -q 256 -t 2 -T "$DNSPERF_THREADS")

readonly DATA=$OUT/data RUNS=$OUT/runs SRV=$OUT/srv
readonly LOG=$OUT/runs.tsv
rm -rf "$OUT"
mkdir -p "$DATA" "$RUNS" "$SRV" "$OUT/bin"

# record appends one tab-separated line to the run's log, which benchtool
# report reads.
record() {
	local IFS=$'\t'
	echo "$*" >>"$LOG"
}

# --- processes ---------------------------------------------------------------

declare -A PID=() PORT=() DIR=() QLOG=() PPROF=() ARGS=() FILL=()
PORTS=()

cleanup() {
	((${#PID[@]} == 0)) || stop "${!PID[@]}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# port hands out the next free port.
port() {
	((${#PORTS[@]})) || die "out of ports"
	REPLY=${PORTS[0]}
	PORTS=("${PORTS[@]:1}")
}

# server VARIANT: makes the variant's directory and port; its Corefile or
# named.conf goes into $SRV/VARIANT next.
server() {
	local v=$1
	DIR[$v]=$SRV/$v
	mkdir -p "${DIR[$v]}"
	port
	PORT[$v]=$REPLY
}

# link VARIANT FILE...: the generated data files the variant's config names.
link() {
	local v=$1 f
	shift
	for f; do ln -sf "$DATA/$f" "${DIR[$v]}/$f"; done
}

# twin VARIANT: VARIANT-twin, a second server with VARIANT's Corefile and
# data files on a port of its own, for the same binary. Measured in the
# same rounds, the two show how far apart identical servers come out in
# this run: the resolution under the scenario's small targets.
twin() {
	local v=$1 t=$1-twin f
	server "$t"
	for f in "${DIR[$v]}"/*; do
		[[ ! -L $f ]] || ln -sf "$(readlink "$f")" "${DIR[$t]}/"
	done
	sed "s/:${PORT[$v]} {/:${PORT[$t]} {/" "${DIR[$v]}/Corefile" >"${DIR[$t]}/Corefile"
	record variant "$2" "$t" "$3" "the same server as $v, a second process (A/A)"
}

# start_coredns VARIANT BINARY [NAME=VALUE...]: starts $SRV/VARIANT/Corefile,
# with the environment variables given. A variant
# in PROFILED (and every one with BENCH_PROFILE=1) also gets a pprof
# listener; measure profiles it in a round of its own after the counted
# ones.
readonly PROFILED=" s1-vanilla s1-corebind s1-nostack "
start_coredns() {
	local v=$1 bin=$2
	ARGS[$v]=$(printf '%q ' "${@:2}")
	if [[ -z ${PPROF[$v]:-} ]] && [[ -n ${BENCH_PROFILE:-} || $PROFILED == *" $v "* ]]; then
		port
		PPROF[$v]=$REPLY
		sed -i "0,/^\( *\)bind 127.0.0.1.*\$/s//&\n\1pprof 127.0.0.1:$REPLY/" "${DIR[$v]}/Corefile"
	fi
	(cd "${DIR[$v]}" && exec env "${@:3}" taskset -c "$SERVER_CPU" "$bin" -conf Corefile) \
		>"${DIR[$v]}/stdout" 2>"${DIR[$v]}/stderr" &
	PID[$v]=$!
}

# restart VARIANT: a new process of the CoreDNS variant, started as it was
# first, answering, and with its cache filled from FILL[VARIANT] (a query
# file) when it has one. What it answers is checked once, before the first
# round; here it only has to answer.
restart() {
	local v=$1 i
	stop "$v"
	eval "start_coredns $v ${ARGS[$v]}"
	for ((i = 0; i < 300; i++)); do
		alive "$v"
		ask "$v" . SOA 2>/dev/null | grep -q "status: " && break
		sleep 0.2
	done
	((i < 300)) || die "server $v does not answer after a restart"
	if [[ -n ${FILL[$v]:-} ]]; then
		dnsperf_run "$v" 600 "${FILL[$v]}" -n 1 >"$RUNS/$v-fill.txt" 2>&1 || die "dnsperf failed against $v"
		checked "$RUNS/$v-fill.txt" "$v" "NOERROR NXDOMAIN"
	fi
}

# start_named VARIANT ZONE-LINES [OPTIONS]: BIND 9, authoritative only, one
# worker thread (as CoreDNS gets one core), serving the zones ZONE-LINES
# declare, with OPTIONS (statements) added to options { }; otherwise BIND's
# defaults.
start_named() {
	local v=$1 zones=$2 options=${3:-}
	# (Indented with spaces: <<- strips the tabs.)
	cat >"${DIR[$v]}/named.conf" <<-EOF
		options {
		    directory ".";
		    pid-file none;
		    session-keyfile "session.key";
		    managed-keys-directory ".";
		    listen-on port ${PORT[$v]} { 127.0.0.1; };
		    listen-on-v6 { none; };
		    recursion no;
		    notify no;
		    dnssec-validation no;
		    empty-zones-enable no;
		    $options
		};
		controls { };
		$zones
	EOF
	(cd "${DIR[$v]}" && exec taskset -c "$SERVER_CPU" named -g -n 1 -c named.conf) \
		>"${DIR[$v]}/stdout" 2>"${DIR[$v]}/stderr" &
	PID[$v]=$!
}

# stop VARIANT...: SIGTERM, and SIGKILL after ten seconds.
stop() {
	local v i
	for v; do
		kill -TERM "${PID[$v]}" 2>/dev/null || true
	done
	for v; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "${PID[$v]}" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "${PID[$v]}" 2>/dev/null || true
		wait "${PID[$v]}" 2>/dev/null || true
		unset "PID[$v]"
	done
}

# alive VARIANT: dies with the server's output when it has exited.
alive() {
	kill -0 "${PID[$1]}" 2>/dev/null && return
	die "server $1 exited; its output ($SRV/$1):
$(tail -n 20 "${DIR[$1]}/stdout" "${DIR[$1]}/stderr")"
}

# ask VARIANT DIG-ARGS...: one query to the variant (at $AT, 127.0.0.1 by
# default), dig's output on stdout.
ask() {
	local v=$1
	shift
	dig -p "${PORT[$v]}" "@${AT:-127.0.0.1}" +tries=1 +time=2 "$@"
}

# ready VARIANT QNAME [STATUS [DIG-ARGS...]]: waits (up to 60 seconds: a
# loaded machine, a 100,000-prefix Corefile) until QNAME gets STATUS
# (NOERROR by default) from the variant.
ready() {
	local v=$1 name=$2 want=${3:-NOERROR} i
	shift $(($# < 3 ? $# : 3))
	for ((i = 0; i < 300; i++)); do
		alive "$v"
		ask "$v" "$name" "$@" 2>/dev/null | grep -q "status: $want" && return
		sleep 0.2
	done
	die "server $v does not answer $name with $want; last answer:
$(ask "$v" "$name" "$@" 2>&1)"
}

# expect VARIANT PATTERN DIG-ARGS...: the variant's answer, its lines
# joined by spaces, must match the extended regular expression PATTERN —
# what a scenario claims to measure is what the server does.
expect() {
	local v=$1 pattern=$2 out
	shift 2
	out=$(ask "$v" "$@" 2>&1) || true
	tr '\n' ' ' <<<"$out" | grep -Eq -- "$pattern" || die "server $v: dig $* does not match /$pattern/:
$out"
}

# same_answer A B DIG-ARGS...: both variants give the same records (in the
# sections $SECTIONS names; all three by default).
same_answer() {
	local a b sections=(${SECTIONS:-+answer +authority +additional})
	a=$(ask "$1" +noall "${sections[@]}" "${@:3}" | sort)
	b=$(ask "$2" +noall "${sections[@]}" "${@:3}" | sort)
	[[ -n $a && $a == "$b" ]] || die "$1 and $2 answer dig ${*:3} differently:
$1:
$a
$2:
$b"
}

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# anon PID: the anonymous part of the resident size (heap, stacks), KiB;
# the rest is pages of the binary, shared and given back under pressure.
anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
# cputicks PID: the CPU time the process has used, user and system, in
# clock ticks (the fields after the command name, which ends with ")").
cputicks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# --- load --------------------------------------------------------------------

# dnsperf_run VARIANT SECONDS QUERYFILE [DNSPERF-ARGS...]
dnsperf_run() {
	local v=$1 secs=$2 file=$3
	shift 3
	taskset -c "$LOAD_CPUS" dnsperf -s 127.0.0.1 -p "${PORT[$v]}" -d "$file" -l "$secs" \
		"${DNSPERF_ARGS[@]}" "$@"
}

# checked RUN-OUTPUT VARIANT RCODES: the run got answers, and only of the
# response codes the scenario expects.
checked() {
	local file=$1 v=$2 want=$3 completed codes c
	completed=$(awk '/Queries completed:/ { print $3 }' "$file")
	[[ ${completed:-0} -gt 0 ]] || die "dnsperf got no responses from $v (see $file)"
	codes=$(sed -n 's/^ *Response codes: *//p' "$file" | grep -oE '[A-Z]+ [0-9]+' | awk '{ print $1 }')
	for c in $codes; do
		[[ " $want " == *" $c "* ]] || die "$v answered $c, expected only $want (see $file)"
	done
}

# settle FILE: waits until a log file stops growing (its writer flushes at
# least every second), then prints its line count.
settle() {
	local f=$1 size=-1 now i
	for ((i = 0; i < 50; i++)); do
		now=$(stat -c %s "$f" 2>/dev/null || echo 0)
		[[ $now == "$size" ]] && break
		size=$now
		sleep 0.4
	done
	wc -l <"$f" 2>/dev/null || echo 0
}

# warm VARIANT QUERYFILE RCODES [DNSPERF-ARGS...]: a short run that brings
# the variant to its measured state; what a query log wrote meanwhile is
# emptied.
warm() {
	local v=$1 file=$2 rcodes=$3 out=$RUNS/$1-warmup.txt
	shift 3
	alive "$v"
	dnsperf_run "$v" "$WARMUP" "$file" "$@" >"$out" 2>&1 || die "dnsperf failed against $v (see $out)"
	checked "$out" "$v" "$rcodes"
	[[ -z ${QLOG[$v]:-} ]] || { settle "${QLOG[$v]}" >/dev/null && : >"${QLOG[$v]}"; }
}

# measure SCENARIO QUERYFILE RCODES VARIANT... [-- DNSPERF-ARGS...]: warms
# each variant up, then runs ROUNDS rounds over all variants, reversing the
# order every other round; then records each server's resident memory.
#
# FRESH=1 measure ...: every round measures a new process of each variant,
# restarted and warmed up just before its run. Two processes of the same
# binary and Corefile differ by up to 8% in queries per second for their
# whole life (CoreDNS's own chaos plugin, which hands IN queries on, gave
# 0.914 against file alone in one run and 0.999 in another), more than the
# 1-2% the single-plugin targets allow; a process per round turns that into
# noise the median of the pairs absorbs, where one process per variant made
# it a bias of the whole scenario.
measure() {
	local scenario=$1 file=$2 rcodes=$3 v r out lines cpu
	shift 3
	local variants=() extra=()
	while (($#)); do
		if [[ $1 == -- ]]; then
			shift
			extra=("$@")
			break
		fi
		variants+=("$1")
		shift
	done
	if [[ -z ${FRESH:-} ]]; then
		for v in "${variants[@]}"; do warm "$v" "$file" "$rcodes" "${extra[@]}"; done
	fi
	record command "$scenario" "taskset -c $LOAD_CPUS dnsperf -s 127.0.0.1 -p PORT -d $(basename "$file") -l $SECONDS_PER_RUN ${DNSPERF_ARGS[*]}${extra[*]:+ ${extra[*]}}${FRESH:+ (a new server process each round)}"
	for ((r = 1; r <= ROUNDS; r++)); do
		local order=("${variants[@]}")
		if ((r % 2 == 0)); then
			local i reversed=()
			for ((i = ${#order[@]} - 1; i >= 0; i--)); do reversed+=("${order[i]}"); done
			order=("${reversed[@]}")
		fi
		for v in "${order[@]}"; do
			if [[ -n ${FRESH:-} ]]; then
				restart "$v"
				warm "$v" "$file" "$rcodes" "${extra[@]}"
			fi
			alive "$v"
			out=$RUNS/$v-$r.txt
			cpu=$(cputicks "${PID[$v]}")
			dnsperf_run "$v" "$SECONDS_PER_RUN" "$file" "${extra[@]}" >"$out" 2>&1 || die "dnsperf failed against $v (see $out)"
			# A query log's writer may still be catching up: its work
			# belongs to this run.
			[[ -z ${QLOG[$v]:-} ]] || lines=$(settle "${QLOG[$v]}")
			cpu=$(($(cputicks "${PID[$v]}") - cpu))
			checked "$out" "$v" "$rcodes"
			record run "$v" "$r" "$out"
			record cpu "$v" "$r" "$cpu"
			if [[ -n ${QLOG[$v]:-} ]]; then
				record logged "$v" "$r" "$lines"
				: >"${QLOG[$v]}"
			fi
			printf '   %-24s round %d  %8.0f q/s\n' "$v" "$r" "$(awk '/Queries per second:/ { print $4 }' "$out")"
		done
	done
	for v in "${variants[@]}"; do
		record mem "$v" "$(rss "${PID[$v]}")" "$(hwm "${PID[$v]}")" "$(anon "${PID[$v]}")"
		[[ -z ${PPROF[$v]:-} ]] || memstats "$v"
	done
	for v in "${variants[@]}"; do
		[[ -z ${PPROF[$v]:-} ]] || profile "$scenario" "$v" "$file" "${extra[@]}"
	done
}

# memstats VARIANT: the Go runtime's own account of the variant's memory
# (runtime.MemStats from pprof's heap page, in KiB) beside its resident size:
# heap in use, goroutine stacks, all the runtime took from the system, and
# what of it the runtime gave back.
memstats() {
	local v=$1 stats
	stats=$(curl -sf "http://127.0.0.1:${PPROF[$v]}/debug/pprof/heap?debug=1" |
		awk '/^# HeapInuse = / { h = $4 } /^# Stack = / { s = $4 } /^# Sys = / { y = $4 } /^# HeapReleased = / { r = $4 }
			END { if (h && s && y) printf "%d\t%d\t%d\t%d", h / 1024, s / 1024, y / 1024, r / 1024 }')
	if [[ -n $stats ]]; then
		record gomem "$v" "$stats"
	else
		note "no memory statistics of $v"
	fi
}

# profile SCENARIO VARIANT QUERYFILE [DNSPERF-ARGS...]: a CPU profile of the
# variant under the scenario's load, in a round of its own (the profiler's
# cost stays out of the counted rounds); its top entries go to the report.
profile() {
	local scenario=$1 v=$2 file=$3 secs=$((SECONDS_PER_RUN > 1 ? SECONDS_PER_RUN - 1 : 1)) out
	shift 3
	mkdir -p "$OUT/profiles"
	out=$OUT/profiles/$v
	curl -sf -o "$out.pprof" "http://127.0.0.1:${PPROF[$v]}/debug/pprof/profile?seconds=$secs" &
	local profiler=$!
	dnsperf_run "$v" "$SECONDS_PER_RUN" "$file" "$@" >"$RUNS/$v-profiled.txt" 2>&1 || die "dnsperf failed against $v (see $RUNS/$v-profiled.txt)"
	if wait "$profiler" && go tool pprof -top -nodecount=25 "$out.pprof" 2>/dev/null | grep -Ev "^(File|Build ID|Time):" >"$out.top"; then
		record profile "$scenario" "$v" "$out.top"
	else
		note "no CPU profile of $v"
	fi
}

# --- data --------------------------------------------------------------------

BENCHTOOL=$OUT/bin/benchtool

generate() {
	step "generating zones, query files and prefix lists ($NAMES names)"
	go build -o "$BENCHTOOL" ./bench/benchtool
	local n=$((NAMES * 10)) size
	"$BENCHTOOL" zone -origin bench.test. -names "$NAMES" -o "$DATA/bench.test.zone"
	"$BENCHTOOL" queries -origin bench.test. -names "$NAMES" -count "$n" -o "$DATA/bench.queries"
	"$BENCHTOOL" queries -origin bench.test. -names "$NAMES" -count "$n" -nx 0 -o "$DATA/bench-nonx.queries"
	amp_zone >"$DATA/amp.test.zone"
	"$BENCHTOOL" zone -origin stub.test. -names "$NAMES" -o "$DATA/stub.test.zone"
	"$BENCHTOOL" queries -origin stub.test. -names "$NAMES" -count "$n" -o "$DATA/stub.queries"
	"$BENCHTOOL" queries -origin stub.test. -names "$NAMES" -all -o "$DATA/stub-warm.queries"
	"$BENCHTOOL" chaos -count 1000 -o "$DATA/chaos.bin"
	"$BENCHTOOL" rfc2317 -nets $((NAMES / 250)) -count "$n" -dir "$DATA"
	for size in "${PREFIX_SIZES[@]}"; do
		"$BENCHTOOL" prefixes -count "$size" -last 127.0.0.0/8 -o "$DATA/prefixes-$size.txt"
	done
	mapfile -t PORTS < <("$BENCHTOOL" ports -n 100)
}

# amp_zone: the zone of the amplification runs: big.amp.test TXT answers
# about 1,050 bytes, under BIND's default max-udp-size (1232), so both
# servers send it whole over UDP.
amp_zone() {
	local s i
	s=$(printf 'x%.0s' $(seq 250))
	printf '$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 127.0.0.1\n'
	for i in 1 2 3 4; do printf 'big IN TXT "%s%s"\n' "$i" "$s"; done
}

# --- scenarios -----------------------------------------------------------------

# The authoritative BIND 9 behind stubzones and forward (scenario 6, and the
# stub zone of scenario 1's realistic server), up for the whole run. It
# shares the server core: what it costs, it costs both sides of a ratio.
start_upstream() {
	step "starting the upstream BIND 9 (stub.test, $NAMES names)"
	server upstream
	link upstream stub.test.zone
	start_named upstream 'zone "stub.test" { type primary; file "stub.test.zone"; };'
	ready upstream h00001.stub.test
	UPSTREAM=127.0.0.1:${PORT[upstream]}
}

# Scenario 1: an external authoritative server as an operator would run
# corebind — every plugin configured — against vanilla CoreDNS serving the
# zone with file alone; and (scenario 7) BIND 9 serving the same zone.
scenario_authoritative() {
	step "scenario 1: authoritative zone — corebind (all five plugins) vs vanilla CoreDNS (file), BIND 9 (scenario 7), with and without the profile (scenario 10)"
	record scenario 1 "Authoritative zone ($NAMES names, 10% NXDOMAIN): corebind with all five plugins vs vanilla CoreDNS with file only"
	record scenario 7 "Reference: BIND 9 named, authoritative, same zone and query file, vs corebind of scenario 1"
	record scenario 10 "Profile-guided build (default.pgo): corebind with and without the profile, all five plugins (scenario 1's Corefile) and file only (vanilla's), vs stock vanilla CoreDNS, and the binary without its 16 KiB starting stack (internal/stackstart); scenario 1's servers and rounds; the stubzones workload, which the profile was not taken from, in scenario 6"

	server s1-vanilla
	link s1-vanilla bench.test.zone
	cat >"$SRV/s1-vanilla/Corefile" <<-EOF
		bench.test:${PORT[s1-vanilla]} {
		    bind 127.0.0.1
		    file bench.test.zone
		}
	EOF
	record variant 1 s1-vanilla vanilla "vanilla CoreDNS 1.15.0: file"
	twin s1-vanilla 1 vanilla

	server s1-corebind
	link s1-corebind bench.test.zone rfc2317-parent.zone
	s1_corefile s1-corebind
	QLOG[s1-corebind]=$SRV/s1-corebind/query.log
	record variant 1 s1-corebind corebind "corebind: querylog (file, bind, stats), chaosmask, recursionacl (load denied recursion), rfc2317, file, stubzones, forward"

	# The same without the profile (scenario 10), and corebind serving the
	# zone as vanilla does, with and without it.
	server s1-nopgo
	link s1-nopgo bench.test.zone rfc2317-parent.zone
	s1_corefile s1-nopgo
	QLOG[s1-nopgo]=$SRV/s1-nopgo/query.log
	record variant 1 s1-nopgo corebind-nopgo "the same corebind configuration, built without the profile"
	# And both without the 16 KiB starting stack (internal/stackstart).
	server s1-nostack
	link s1-nostack bench.test.zone rfc2317-parent.zone
	s1_corefile s1-nostack
	QLOG[s1-nostack]=$SRV/s1-nostack/query.log
	record variant 1 s1-nostack corebind "the same corebind configuration and binary, goroutines starting with 2 KiB (GODEBUG=adaptivestackstart=0)"
	local v
	for v in s1-file s1-file-nopgo s1-file-nostack; do
		server "$v"
		link "$v" bench.test.zone
		sed "s/:${PORT[s1-vanilla]} {/:${PORT[$v]} {/" "$SRV/s1-vanilla/Corefile" >"$SRV/$v/Corefile"
	done
	record variant 1 s1-file corebind "corebind (profile-guided): file only, vanilla's Corefile"
	record variant 1 s1-file-nopgo corebind-nopgo "corebind without the profile: file only, vanilla's Corefile"
	record variant 1 s1-file-nostack corebind "corebind (profile-guided): file only, goroutines starting with 2 KiB (GODEBUG=adaptivestackstart=0)"

	server s1-bind
	link s1-bind bench.test.zone
	record variant 1 s1-bind named "BIND 9: authoritative, recursion no, one worker thread"

	start_coredns s1-vanilla "$VANILLA"
	start_coredns s1-vanilla-twin "$VANILLA"
	start_coredns s1-corebind "$COREBIND"
	start_coredns s1-nopgo "$NOPGO"
	start_coredns s1-file "$COREBIND"
	start_coredns s1-file-nopgo "$NOPGO"
	start_coredns s1-nostack "$COREBIND" GODEBUG=adaptivestackstart=0
	start_coredns s1-file-nostack "$COREBIND" GODEBUG=adaptivestackstart=0
	start_named s1-bind 'zone "bench.test" { type primary; file "bench.test.zone"; };'
	local all=(s1-vanilla s1-corebind s1-vanilla-twin s1-bind s1-nopgo s1-file s1-file-nopgo s1-nostack s1-file-nostack)
	for v in "${all[@]}"; do
		ready "$v" h00001.bench.test
		expect "$v" 'status: NXDOMAIN' "h$((NAMES + 1)).bench.test"
	done
	# What corebind's other plugins do for the other clients and names.
	for v in s1-corebind s1-nopgo s1-nostack; do
		expect "$v" 'flags: qr aa rd;' h00001.bench.test
		expect "$v" 'status: REFUSED' www.example.com
		expect "$v" 'status: NOERROR.* ANSWER: 0,' version.bind CH TXT
		expect "$v" 'status: REFUSED' h00001.stub.test
		expect "$v" 'CNAME' -x 10.0.0.3
		same_answer "$v" s1-vanilla h00002.bench.test A
	done
	same_answer s1-file s1-vanilla h00002.bench.test A
	same_answer s1-file-nostack s1-vanilla h00002.bench.test A
	# BIND as shipped: minimal-responses no-auth-recursive leaves out the
	# authority and additional sections of answers to RD=1 queries.
	SECTIONS=+answer same_answer s1-corebind s1-bind h00002.bench.test A

	measure 1 "$DATA/bench.queries" "NOERROR NXDOMAIN" "${all[@]}"
	record compare 1 s1-corebind s1-vanilla ">=" 0.95 "corebind (all five plugins) vs vanilla CoreDNS (file)"
	record compare 1 s1-vanilla-twin s1-vanilla "" "" "vanilla CoreDNS vs itself (A/A: this run's resolution)"
	record memory 1 s1-corebind s1-vanilla 1.10 "corebind (all five plugins) vs vanilla CoreDNS (file), resident size after the last round"
	record memory 1 s1-nostack s1-vanilla "" "the same corebind, goroutines starting with 2 KiB (GODEBUG=adaptivestackstart=0), vs vanilla CoreDNS (file)"
	record compare 7 s1-bind s1-corebind "" "" "BIND 9 vs corebind (scenario 1)"
	record compare 10 s1-corebind s1-vanilla ">=" 1.00 "corebind, all five plugins, profile-guided vs stock vanilla (file)"
	record compare 10 s1-file s1-vanilla ">=" 1.10 "corebind, file only, profile-guided vs stock vanilla (file)"
	record compare 10 s1-nopgo s1-vanilla "" "" "corebind, all five plugins, without the profile vs stock vanilla (file)"
	record compare 10 s1-file-nopgo s1-vanilla "" "" "corebind, file only, without the profile vs stock vanilla (file)"
	record compare 10 s1-corebind s1-nopgo "" "" "the profile's gain: all five plugins, with vs without"
	record compare 10 s1-file s1-file-nopgo "" "" "the profile's gain: file only, with vs without"
	record compare 10 s1-corebind s1-nostack "" "" "the 16 KiB starting stack's gain: all five plugins, with vs without"
	record compare 10 s1-file s1-file-nostack "" "" "the 16 KiB starting stack's gain: file only, with vs without"
	stop "${all[@]}"
}

# s1_corefile VARIANT: scenario 1's corebind Corefile, on the variant's port.
s1_corefile() {
	local v=$1 stats
	port
	stats=127.0.0.1:$REPLY
	cat >"$SRV/$v/Corefile" <<-EOF
		# An external server: authoritative for its zones to everyone, a
		# resolver (forward, stub zones) only for the operator's own
		# network, which the load's clients are not part of.
		.:${PORT[$v]} {
		    bind 127.0.0.1
		    querylog {
		        output file query.log
		        format bind
		        stats {
		            top 100
		            names 100
		            listen $stats
		        }
		    }
		    chaosmask
		    recursionacl {
		        allow 192.0.2.0/24
		    }
		    rfc2317 0.10.in-addr.arpa {
		$(cat "$DATA/rfc2317-delegate.conf")
		    }
		    file bench.test.zone bench.test
		    file rfc2317-parent.zone 0.10.in-addr.arpa
		    stubzones stub.test {
		        primaries $UPSTREAM
		        port ${PORT[upstream]}
		    }
		    forward . $UPSTREAM
		}
	EOF
}

# Scenario 2: querylog writing every query to a file in bind format with
# statistics, against CoreDNS's log with its output sent to a file, and
# against no logging. Same binary, same zone.
scenario_querylog() {
	step "scenario 2: querylog vs log vs no logging"
	record scenario 2 "querylog (file, bind format, stats) vs CoreDNS log (stdout to a file) vs no logging, same corebind binary"
	local v
	for v in s2-none s2-querylog s2-log; do
		server "$v"
		link "$v" bench.test.zone
	done
	cat >"$SRV/s2-none/Corefile" <<-EOF
		bench.test:${PORT[s2-none]} {
		    bind 127.0.0.1
		    file bench.test.zone
		}
	EOF
	record variant 2 s2-none corebind "file, no logging"
	cat >"$SRV/s2-querylog/Corefile" <<-EOF
		bench.test:${PORT[s2-querylog]} {
		    bind 127.0.0.1
		    querylog {
		        output file query.log
		        format bind
		        stats
		    }
		    file bench.test.zone
		}
	EOF
	QLOG[s2-querylog]=$SRV/s2-querylog/query.log
	record variant 2 s2-querylog corebind "querylog { output file; format bind; stats } + file"
	cat >"$SRV/s2-log/Corefile" <<-EOF
		bench.test:${PORT[s2-log]} {
		    bind 127.0.0.1
		    log
		    file bench.test.zone
		}
	EOF
	QLOG[s2-log]=$SRV/s2-log/stdout
	record variant 2 s2-log corebind "log (stdout redirected to a file) + file"
	twin s2-none 2 corebind

	for v in s2-none s2-querylog s2-none-twin s2-log; do start_coredns "$v" "$COREBIND"; done
	for v in s2-none s2-querylog s2-none-twin s2-log; do ready "$v" h00001.bench.test; done
	settle "${QLOG[s2-querylog]}" >/dev/null
	grep -q 'queries: info: client @0x[0-9a-f]* 127.0.0.1#[0-9]* (h00001.bench.test): query: h00001.bench.test IN A +E(0)' \
		"${QLOG[s2-querylog]}" || die "querylog did not log the probe in bind format (see ${QLOG[s2-querylog]})"
	grep -q '"A IN h00001.bench.test. udp' "${QLOG[s2-log]}" || die "log did not log the probe (see ${QLOG[s2-log]})"

	FRESH=1 measure 2 "$DATA/bench.queries" "NOERROR NXDOMAIN" s2-none s2-querylog s2-none-twin s2-log
	record compare 2 s2-querylog s2-none ">=" 0.96 "querylog vs no logging"
	record compare 2 s2-querylog s2-log ">" 1.0 "querylog vs CoreDNS log"
	record compare 2 s2-log s2-none "" "" "CoreDNS log vs no logging"
	record compare 2 s2-none-twin s2-none "" "" "no logging vs itself (A/A: this run's resolution)"
	stop s2-none s2-querylog s2-none-twin s2-log
}

# Scenario 3: recursionacl holding 100 / 10,000 / 100,000 prefixes against
# no ACL and against CoreDNS's acl holding the same prefixes. The load's
# client, 127.0.0.1, is in the last prefix: allowed by both, after the
# longest walk a list scanned in order could make. A denied client, the
# path issue 15's target names, gets the same authoritative answers from a
# recursionacl whose list leaves the load's address out.
scenario_recursionacl() {
	step "scenario 3: recursionacl vs no ACL vs acl (${PREFIX_SIZES[*]} prefixes)"
	record scenario 3 "recursionacl with ${PREFIX_SIZES[*]} prefixes (allow-file) vs no ACL, and vs CoreDNS acl holding the same prefixes (one allow line, then block)"
	local n v variants=(s3-none)
	server s3-none
	link s3-none bench.test.zone
	cat >"$SRV/s3-none/Corefile" <<-EOF
		bench.test:${PORT[s3-none]} {
		    bind 127.0.0.1
		    file bench.test.zone
		}
	EOF
	record variant 3 s3-none corebind "file, no ACL"
	server s3-recursionacl-denied
	link s3-recursionacl-denied bench.test.zone
	cat >"$SRV/s3-recursionacl-denied/Corefile" <<-EOF
		bench.test:${PORT[s3-recursionacl-denied]} {
		    bind 127.0.0.1
		    recursionacl {
		        allow 192.0.2.0/24
		    }
		    file bench.test.zone
		}
	EOF
	record variant 3 s3-recursionacl-denied corebind "recursionacl { allow 192.0.2.0/24 } + file: the load's client is denied recursion"
	variants+=(s3-recursionacl-denied)
	twin s3-none 3 corebind
	variants+=(s3-none-twin)
	for n in "${PREFIX_SIZES[@]}"; do
		v=s3-recursionacl-$n
		server "$v"
		link "$v" bench.test.zone "prefixes-$n.txt"
		cat >"$SRV/$v/Corefile" <<-EOF
			bench.test:${PORT[$v]} {
			    bind 127.0.0.1 ::1
			    recursionacl {
			        allow-file prefixes-$n.txt
			    }
			    file bench.test.zone
			}
		EOF
		record variant 3 "$v" corebind "recursionacl { allow-file ($n prefixes) } + file"
		variants+=("$v")

		v=s3-acl-$n
		server "$v"
		link "$v" bench.test.zone
		{
			printf 'bench.test:%s {\n    bind 127.0.0.1 ::1\n    acl {\n        allow net ' "${PORT[$v]}"
			tr '\n' ' ' <"$DATA/prefixes-$n.txt"
			printf '\n        block\n    }\n    file bench.test.zone\n}\n'
		} >"$SRV/$v/Corefile"
		record variant 3 "$v" corebind "acl { allow net ($n prefixes); block } + file"
		variants+=("$v")
	done
	for v in "${variants[@]}"; do start_coredns "$v" "$COREBIND"; done
	for v in "${variants[@]}"; do
		ready "$v" h00001.bench.test
		expect "$v" 'status: (NOERROR|REFUSED)' h00001.bench.test -b 127.0.0.1
	done
	# The lists are in force: a client outside them (::1) is refused
	# recursion by recursionacl (authoritative data still answered, RA=0)
	# and blocked by acl.
	expect s3-recursionacl-100000 'flags: qr aa rd ra;' h00001.bench.test
	expect s3-recursionacl-denied 'flags: qr aa rd;' h00001.bench.test
	AT=::1 expect s3-recursionacl-100000 'flags: qr aa rd;' h00001.bench.test
	AT=::1 expect s3-acl-100000 'status: REFUSED' h00001.bench.test

	FRESH=1 measure 3 "$DATA/bench.queries" "NOERROR NXDOMAIN" "${variants[@]}"
	record compare 3 s3-recursionacl-denied s3-none ">=" 0.98 "recursionacl vs no ACL (denied client, authoritative answers)"
	record compare 3 s3-none-twin s3-none "" "" "no ACL vs itself (A/A: this run's resolution)"
	for n in "${PREFIX_SIZES[@]}"; do
		record compare 3 "s3-recursionacl-$n" s3-none "" "" "recursionacl ($n prefixes) vs no ACL (allowed client, authoritative answers)"
		record compare 3 "s3-recursionacl-$n" "s3-acl-$n" ">=" 1.0 "recursionacl vs acl ($n prefixes)"
	done
	stop "${variants[@]}"
	scenario_recursionacl_cached
}

# The other path most traffic takes through recursionacl: a client it
# allows, answered from the cache.
scenario_recursionacl_cached() {
	local v allow
	for v in s3-cache s3-cache-recursionacl; do
		server "$v"
		allow=""
		[[ $v != *recursionacl ]] || printf -v allow 'recursionacl {\n        allow 127.0.0.1\n    }'
		cat >"$SRV/$v/Corefile" <<-EOF
			.:${PORT[$v]} {
			    bind 127.0.0.1
			    $allow
			    cache 3600 {
			        success 65536
			        denial 65536
			    }
			    forward . $UPSTREAM
			}
		EOF
		start_coredns "$v" "$COREBIND"
	done
	record variant 3 s3-cache corebind "cache + forward, cache filled"
	record variant 3 s3-cache-recursionacl corebind "recursionacl { allow 127.0.0.1 } + cache + forward, cache filled"
	for v in s3-cache s3-cache-recursionacl; do
		ready "$v" h00001.stub.test
		FILL[$v]=$DATA/stub-warm.queries
	done
	expect s3-cache-recursionacl 'status: REFUSED' h00001.stub.test -b 127.0.0.3
	expect s3-cache-recursionacl 'flags: qr rd ra;' h00001.stub.test
	FRESH=1 measure 3 "$DATA/stub.queries" "NOERROR NXDOMAIN" s3-cache s3-cache-recursionacl
	record compare 3 s3-cache-recursionacl s3-cache ">=" 0.98 "recursionacl (allowed client, cache hit) vs none"
	stop s3-cache s3-cache-recursionacl
}

# Scenario 4: chaosmask answering CH queries against chaos answering them
# (same texts), and IN queries with chaosmask in the chain against without.
scenario_chaosmask() {
	step "scenario 4: chaosmask vs chaos (CH), and IN with vs without chaosmask"
	record scenario 4 "chaosmask answering CH TXT queries vs chaos answering them (same texts); IN queries with chaosmask vs without"
	local host v
	host=$(hostname)
	for v in s4-ch-chaosmask s4-ch-chaos s4-in-none s4-in-chaosmask; do server "$v"; done
	cat >"$SRV/s4-ch-chaos/Corefile" <<-EOF
		.:${PORT[s4-ch-chaos]} {
		    bind 127.0.0.1
		    chaos CoreDNS-1.15.0 corebind
		}
	EOF
	record variant 4 s4-ch-chaos corebind "chaos CoreDNS-1.15.0 corebind (hostname.bind, id.server: the host name)"
	cat >"$SRV/s4-ch-chaosmask/Corefile" <<-EOF
		.:${PORT[s4-ch-chaosmask]} {
		    bind 127.0.0.1
		    chaosmask {
		        version CoreDNS-1.15.0
		        authors corebind
		        hostname $host
		        id $host
		    }
		}
	EOF
	record variant 4 s4-ch-chaosmask corebind "chaosmask with the same texts as chaos"
	link s4-in-none bench.test.zone
	link s4-in-chaosmask bench.test.zone
	cat >"$SRV/s4-in-none/Corefile" <<-EOF
		bench.test:${PORT[s4-in-none]} {
		    bind 127.0.0.1
		    file bench.test.zone
		}
	EOF
	record variant 4 s4-in-none corebind "file (IN queries)"
	cat >"$SRV/s4-in-chaosmask/Corefile" <<-EOF
		bench.test:${PORT[s4-in-chaosmask]} {
		    bind 127.0.0.1
		    chaosmask
		    file bench.test.zone
		}
	EOF
	record variant 4 s4-in-chaosmask corebind "chaosmask + file (IN queries)"
	# The floor under every "plugin alone" target: CoreDNS's own chaos
	# plugin, which hands IN queries on untouched, costs what any plugin in
	# the chain costs (one more frame on each query's goroutine stack).
	server s4-in-chaos
	link s4-in-chaos bench.test.zone
	sed "s/chaosmask/chaos/; s/:${PORT[s4-in-chaosmask]} {/:${PORT[s4-in-chaos]} {/" "$SRV/s4-in-chaosmask/Corefile" >"$SRV/s4-in-chaos/Corefile"
	record variant 4 s4-in-chaos corebind "CoreDNS chaos + file (IN queries)"
	twin s4-in-none 4 corebind
	for v in s4-ch-chaosmask s4-ch-chaos s4-in-none s4-in-chaosmask s4-in-none-twin s4-in-chaos; do start_coredns "$v" "$COREBIND"; done
	for v in s4-ch-chaosmask s4-ch-chaos; do
		ready "$v" version.bind NOERROR CH TXT
		for name in version.bind hostname.bind id.server version.server authors.bind; do
			same_answer s4-ch-chaosmask s4-ch-chaos "$name" CH TXT
		done
	done
	for v in s4-in-none s4-in-chaosmask s4-in-none-twin s4-in-chaos; do ready "$v" h00001.bench.test; done

	measure 4 "$DATA/chaos.bin" "NOERROR" s4-ch-chaosmask s4-ch-chaos -- -B
	FRESH=1 measure 4 "$DATA/bench.queries" "NOERROR NXDOMAIN" s4-in-none s4-in-chaosmask s4-in-none-twin s4-in-chaos
	record compare 4 s4-ch-chaosmask s4-ch-chaos "" "" "chaosmask vs chaos, CH TXT queries"
	record compare 4 s4-in-chaosmask s4-in-none ">=" 0.99 "IN queries with chaosmask vs without"
	record compare 4 s4-in-chaos s4-in-none "" "" "IN queries with CoreDNS's chaos (passes them on) vs without: any plugin's cost"
	record compare 4 s4-in-chaosmask s4-in-chaos "" "" "IN queries: chaosmask vs CoreDNS's chaos"
	record compare 4 s4-in-none-twin s4-in-none "" "" "IN queries without chaosmask vs themselves (A/A: this run's resolution)"
	stop s4-ch-chaosmask s4-ch-chaos s4-in-none s4-in-chaosmask s4-in-none-twin s4-in-chaos
}

# Scenario 5: rfc2317's synthesized CNAME and NS records against the same
# records written out in the zone file.
scenario_rfc2317() {
	step "scenario 5: rfc2317 vs the same records in a file zone"
	local blocks
	blocks=$(wc -l <"$DATA/rfc2317-delegate.conf")
	record scenario 5 "rfc2317 synthesizing the CNAME and NS records of $blocks delegated blocks (/26–/29) vs the same records written out in a file zone; PTR queries for delegated addresses"
	server s5-rfc2317
	link s5-rfc2317 rfc2317-parent.zone
	cat >"$SRV/s5-rfc2317/Corefile" <<-EOF
		0.10.in-addr.arpa:${PORT[s5-rfc2317]} {
		    bind 127.0.0.1
		    rfc2317 {
		$(cat "$DATA/rfc2317-delegate.conf")
		    }
		    file rfc2317-parent.zone
		}
	EOF
	record variant 5 s5-rfc2317 corebind "rfc2317 ($blocks delegate lines) + file (apex records only)"
	server s5-file
	link s5-file rfc2317-written.zone
	cat >"$SRV/s5-file/Corefile" <<-EOF
		0.10.in-addr.arpa:${PORT[s5-file]} {
		    bind 127.0.0.1
		    file rfc2317-written.zone
		}
	EOF
	record variant 5 s5-file corebind "file with every CNAME and NS record written out"
	start_coredns s5-rfc2317 "$COREBIND"
	start_coredns s5-file "$COREBIND"
	local v
	for v in s5-rfc2317 s5-file; do ready "$v" 3.0.0.10.in-addr.arpa NOERROR PTR; done
	expect s5-rfc2317 'IN.CNAME.3\.0/26\.0\.0\.10\.in-addr\.arpa\.' 3.0.0.10.in-addr.arpa PTR
	same_answer s5-rfc2317 s5-file 3.0.0.10.in-addr.arpa PTR
	same_answer s5-rfc2317 s5-file 170.1.0.10.in-addr.arpa PTR

	measure 5 "$DATA/rfc2317.queries" "NOERROR" s5-rfc2317 s5-file
	record compare 5 s5-rfc2317 s5-file ">=" 0.95 "rfc2317 vs the records written out in file"
	stop s5-rfc2317 s5-file

	# The path most traffic takes: queries for another zone of the block.
	for v in s5-other-file s5-other-rfc2317; do
		server "$v"
		link "$v" bench.test.zone rfc2317-parent.zone
		local block=""
		[[ $v != *rfc2317 ]] || block="rfc2317 0.10.in-addr.arpa {
$(cat "$DATA/rfc2317-delegate.conf")
    }"
		cat >"$SRV/$v/Corefile" <<-EOF
			.:${PORT[$v]} {
			    bind 127.0.0.1
			    $block
			    file bench.test.zone bench.test
			    file rfc2317-parent.zone 0.10.in-addr.arpa
			}
		EOF
		start_coredns "$v" "$COREBIND"
	done
	record variant 5 s5-other-file corebind "file (bench.test, and the parent reverse zone)"
	record variant 5 s5-other-rfc2317 corebind "rfc2317 ($blocks delegate lines) + the same files; queries for bench.test"
	for v in s5-other-file s5-other-rfc2317; do ready "$v" h00001.bench.test; done
	expect s5-other-rfc2317 'IN.CNAME.3\.0/26\.0\.0\.10\.in-addr\.arpa\.' 3.0.0.10.in-addr.arpa PTR
	FRESH=1 measure 5 "$DATA/bench.queries" "NOERROR NXDOMAIN" s5-other-file s5-other-rfc2317
	record compare 5 s5-other-rfc2317 s5-other-file ">=" 0.99 "rfc2317 vs none, queries for another zone"
	stop s5-other-file s5-other-rfc2317
}

# Scenario 6: stubzones against forward, both to the upstream BIND 9; cold
# (no cache: every query goes upstream) and warm (cache in front, filled
# with every name the load asks before measuring).
scenario_stubzones() {
	step "scenario 6: stubzones vs forward to the same BIND 9, cold and with a warm cache"
	record scenario 6 "stubzones vs forward to the same authoritative BIND 9 (stub.test, $NAMES names): cold (no cache, every query upstream) and warm (cache holding every name asked)"
	local v cache
	for v in s6-cold-stubzones s6-cold-forward s6-warm-stubzones s6-warm-forward; do
		server "$v"
		# Room for every name and type asked: the default 9984 would not
		# hold them all.
		cache=""
		[[ $v != *warm* ]] || printf -v cache 'cache 3600 {\n        success 65536\n        denial 65536\n    }'
		if [[ $v == *stubzones ]]; then
			cat >"$SRV/$v/Corefile" <<-EOF
				stub.test:${PORT[$v]} {
				    bind 127.0.0.1
				    $cache
				    stubzones {
				        primaries $UPSTREAM
				        port ${PORT[upstream]}
				    }
				}
			EOF
		else
			cat >"$SRV/$v/Corefile" <<-EOF
				stub.test:${PORT[$v]} {
				    bind 127.0.0.1
				    $cache
				    forward . $UPSTREAM
				}
			EOF
		fi
	done
	record variant 6 s6-cold-stubzones corebind "stubzones (no cache)"
	record variant 6 s6-cold-forward corebind "forward (no cache)"
	record variant 6 s6-warm-stubzones corebind "cache + stubzones, cache filled"
	record variant 6 s6-warm-forward corebind "cache + forward, cache filled"
	for v in s6-cold-stubzones s6-cold-forward s6-warm-stubzones s6-warm-forward; do start_coredns "$v" "$COREBIND"; done
	for v in s6-cold-stubzones s6-cold-forward s6-warm-stubzones s6-warm-forward; do
		ready "$v" h00001.stub.test
		expect "$v" 'status: NOERROR.* ANSWER: 1,' h00001.stub.test
	done
	# stubzones resolves (AA=0, RA=1); forward hands back BIND's
	# authoritative answer as it is.
	expect s6-cold-stubzones 'flags: qr rd ra;' h00001.stub.test
	same_answer s6-cold-stubzones s6-cold-forward h00002.stub.test
	for v in s6-warm-stubzones s6-warm-forward; do
		dnsperf_run "$v" 600 "$DATA/stub-warm.queries" -n 1 >"$RUNS/$v-fill.txt" 2>&1 || die "dnsperf failed against $v"
		checked "$RUNS/$v-fill.txt" "$v" "NOERROR NXDOMAIN"
	done

	measure 6 "$DATA/stub.queries" "NOERROR NXDOMAIN" s6-cold-stubzones s6-cold-forward
	measure 6 "$DATA/stub.queries" "NOERROR NXDOMAIN" s6-warm-stubzones s6-warm-forward
	record compare 6 s6-cold-stubzones s6-cold-forward "" "" "stubzones vs forward, cold"
	record compare 6 s6-warm-stubzones s6-warm-forward "" "" "stubzones vs forward, warm cache"
	stop s6-cold-stubzones s6-cold-forward s6-warm-stubzones s6-warm-forward

	# The path most traffic takes: queries for another zone of the block.
	# And the profile's gain on this workload, which it was not taken from.
	for v in s6-other-file s6-other-stubzones s6-cold-stubzones-pgo s6-cold-stubzones-nopgo; do
		server "$v"
		link "$v" bench.test.zone
	done
	cat >"$SRV/s6-other-file/Corefile" <<-EOF
		.:${PORT[s6-other-file]} {
		    bind 127.0.0.1
		    file bench.test.zone bench.test
		}
	EOF
	cat >"$SRV/s6-other-stubzones/Corefile" <<-EOF
		.:${PORT[s6-other-stubzones]} {
		    bind 127.0.0.1
		    stubzones stub.test {
		        primaries $UPSTREAM
		        port ${PORT[upstream]}
		    }
		    file bench.test.zone bench.test
		}
	EOF
	for v in s6-cold-stubzones-pgo s6-cold-stubzones-nopgo; do
		sed "s/:${PORT[s6-cold-stubzones]} {/:${PORT[$v]} {/" "$SRV/s6-cold-stubzones/Corefile" >"$SRV/$v/Corefile"
	done
	record variant 6 s6-other-file corebind "file (bench.test)"
	record variant 6 s6-other-stubzones corebind "stubzones stub.test + file; queries for bench.test"
	record variant 6 s6-cold-stubzones-pgo corebind "stubzones (no cache), profile-guided"
	record variant 6 s6-cold-stubzones-nopgo corebind-nopgo "stubzones (no cache), built without the profile"
	start_coredns s6-other-file "$COREBIND"
	start_coredns s6-other-stubzones "$COREBIND"
	start_coredns s6-cold-stubzones-pgo "$COREBIND"
	start_coredns s6-cold-stubzones-nopgo "$NOPGO"
	for v in s6-other-file s6-other-stubzones; do ready "$v" h00001.bench.test; done
	for v in s6-other-stubzones s6-cold-stubzones-pgo s6-cold-stubzones-nopgo; do ready "$v" h00001.stub.test; done
	FRESH=1 measure 6 "$DATA/bench.queries" "NOERROR NXDOMAIN" s6-other-file s6-other-stubzones
	record compare 6 s6-other-stubzones s6-other-file ">=" 0.99 "stubzones vs none, queries for another zone"
	measure 6 "$DATA/stub.queries" "NOERROR NXDOMAIN" s6-cold-stubzones-pgo s6-cold-stubzones-nopgo
	record compare 10 s6-cold-stubzones-pgo s6-cold-stubzones-nopgo "" "" "the profile's gain on a workload it was not taken from: stubzones, cold (scenario 6)"
	stop s6-other-file s6-other-stubzones s6-cold-stubzones-pgo s6-cold-stubzones-nopgo
}

# Scenario 8: rrl. Throughput of an authoritative server with rrl
# configured but no client over its limit, against the same server without
# rrl; then the amplification a reflection attacker gets from a spoofed
# flood (benchtool amplify, measured at the victim's address) from corebind
# without rrl, with rrl, and from BIND 9 with the same rate-limit settings.
scenario_rrl() {
	step "scenario 8: rrl — throughput with rrl (no client over its limit) vs without; amplification with and without rrl, and BIND 9"
	record scenario 8 "rrl: authoritative zone ($NAMES names, no NXDOMAIN: one client's NXDOMAIN stream at this rate is over any limit) with rrl configured, no client over its limit, vs without"
	local v
	for v in s8-none s8-rrl s8-amp-rrl s8-amp-bind; do
		server "$v"
		link "$v" bench.test.zone amp.test.zone
	done
	cat >"$SRV/s8-none/Corefile" <<-EOF
		.:${PORT[s8-none]} {
		    bind 127.0.0.1
		    file bench.test.zone bench.test
		    file amp.test.zone amp.test
		}
	EOF
	record variant 8 s8-none corebind "file, no rrl"
	cat >"$SRV/s8-rrl/Corefile" <<-EOF
		.:${PORT[s8-rrl]} {
		    bind 127.0.0.1
		    rrl {
		        responses-per-second 1000
		        window 5
		        log stdout
		    }
		    file bench.test.zone bench.test
		    file amp.test.zone amp.test
		}
	EOF
	record variant 8 s8-rrl corebind "rrl { responses-per-second 1000; window 5; log stdout } + file"
	cat >"$SRV/s8-amp-rrl/Corefile" <<-EOF
		.:${PORT[s8-amp-rrl]} {
		    bind 127.0.0.1
		    rrl {
		        responses-per-second 5
		        window 5
		    }
		    file bench.test.zone bench.test
		    file amp.test.zone amp.test
		}
	EOF
	start_coredns s8-none "$COREBIND"
	start_coredns s8-rrl "$COREBIND"
	start_coredns s8-amp-rrl "$COREBIND"
	start_named s8-amp-bind 'zone "amp.test" { type primary; file "amp.test.zone"; };' \
		'rate-limit { responses-per-second 5; window 5; };'
	for v in s8-none s8-rrl s8-amp-rrl; do ready "$v" h00001.bench.test; done
	ready s8-amp-bind big.amp.test NOERROR TXT
	for v in s8-none s8-rrl s8-amp-rrl s8-amp-bind; do
		expect "$v" 'status: NOERROR.* ANSWER: 4,' big.amp.test TXT +bufsize=4096
	done

	measure 8 "$DATA/bench-nonx.queries" "NOERROR" s8-none s8-rrl
	record compare 8 s8-rrl s8-none ">=" 0.97 "rrl configured, no client over its limit, vs no rrl"
	! grep -q 'rate-limit' "${DIR[s8-rrl]}/stdout" || die "s8-rrl limited the load's client (see ${DIR[s8-rrl]}/stdout)"

	local secs=3
	! $QUICK || secs=1
	for v in s8-none s8-amp-rrl s8-amp-bind; do
		alive "$v"
		taskset -c "$LOAD_CPUS" "$BENCHTOOL" amplify -server "127.0.0.1:${PORT[$v]}" -victim 127.0.77.1 \
			-name big.amp.test. -type TXT -qps 1000 -seconds "$secs" -variant "$v" -o "$OUT/amplify-$v.json"
		record amplify "$OUT/amplify-$v.json"
	done
	stop s8-none s8-rrl s8-amp-rrl s8-amp-bind
}

# querylog's statistics under a million distinct clients: bounded memory,
# and the known top talkers still on top.
scenario_flood() {
	step "querylog statistics: $FLOOD_CLIENTS distinct clients"
	server flood
	link flood bench.test.zone
	port
	local stats=127.0.0.1:$REPLY
	cat >"$SRV/flood/Corefile" <<-EOF
		bench.test:${PORT[flood]} {
		    bind 127.0.0.1
		    querylog {
		        output file query.log
		        format bind
		        stats {
		            top 100
		            names 100
		            listen $stats
		        }
		    }
		    file bench.test.zone
		}
	EOF
	start_coredns flood "$COREBIND"
	ready flood h00001.bench.test
	record variant flood flood corebind "querylog { output file; format bind; stats { top 100; names 100; listen } } + file"
	taskset -c "$LOAD_CPUS" "$BENCHTOOL" flood -server "127.0.0.1:${PORT[flood]}" -clients "$FLOOD_CLIENTS" \
		-heavy 10 -heavy-min "$FLOOD_HEAVY_MIN" -heavy-step "$FLOOD_HEAVY_STEP" -names "$NAMES" \
		-pid "${PID[flood]}" -stats "http://$stats/json" -o "$OUT/flood.json"
	record flood "$OUT/flood.json"
	record mem flood "$(rss "${PID[flood]}")" "$(hwm "${PID[flood]}")"
	stop flood
}

# Go micro-benchmarks of every plugin's hot path, one package at a time.
micro_benchmarks() {
	step "Go micro-benchmarks (go test -bench . -benchmem ./plugin/..., -benchtime $BENCHTIME)"
	taskset -c "$SERVER_CPU" go test -p 1 -count 1 -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" ./plugin/... \
		>"$OUT/gobench.txt" 2>&1 || die "go test -bench failed (see $OUT/gobench.txt)"
	grep -q '^Benchmark' "$OUT/gobench.txt" || die "go test -bench ran no benchmark (see $OUT/gobench.txt)"
	record gobench "$OUT/gobench.txt"
}

# --- the run -------------------------------------------------------------------

machine() {
	record meta mode "$MODE"
	record meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	record meta cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	record meta cores "$NCPU"
	record meta clk_tck "$(getconf CLK_TCK)"
	record meta kernel "$(uname -sr)"
	record meta memory "$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	record meta corebind "$("$COREBIND" -version | tr '\n' ' ' | sed 's/ *$//')"
	record meta vanilla "$("$VANILLA" -version | tr '\n' ' ' | sed 's/ *$//')"
	record meta bind "$(named -v)"
	record meta dnsperf "$(dnsperf -h 2>&1 | awk '/^Version/ { print "dnsperf " $2 }')"
	record meta go "$(go version)"
	record meta commit "$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$([[ -z $(git status --porcelain 2>/dev/null) ]] || echo -dirty)"
	record meta pinning "servers on CPU $SERVER_CPU (BIND with one worker thread, Go sees one CPU); dnsperf and the flood tool on CPU $LOAD_CPUS"
	record meta sizes "corebind $(du -m "$COREBIND" | cut -f1) MB; without the profile $(du -m "$NOPGO" | cut -f1) MB; vanilla $(du -m "$VANILLA" | cut -f1) MB"
	pgo_age
	if [[ -f bench/pgo-build.tsv ]]; then
		record meta build_times "$(awk '$1 == "build_seconds_nopgo" { a = $2 } $1 == "build_seconds_pgo" { b = $2 } END { printf "%ss without the profile, %ss with it (measured by ./build.sh pgo)", a, b }' bench/pgo-build.tsv)"
	fi
	record meta rounds "$ROUNDS"
	record meta seconds "$SECONDS_PER_RUN"
	record meta warmup "$WARMUP"
}

# pgo_age: where default.pgo comes from, and a warning when the code it
# profiles has moved on by more than PGO_MAX_COMMITS commits since: the
# profile still works, but it optimizes for paths that may be gone.
readonly PGO_MAX_COMMITS=25
pgo_age() {
	local since n
	[[ -f default.pgo ]] || { record meta pgo "none: ./coredns was built without a profile"; return; }
	since=$(git log -1 --format=%h -- default.pgo 2>/dev/null)
	if [[ -z $since ]]; then
		record meta pgo "default.pgo, not committed yet"
		return
	fi
	n=$(git rev-list --count "$since..HEAD" -- '*.go' go.mod plugin.cfg)
	record meta pgo "default.pgo from commit $since; $n commit(s) changing Go code since"
	if ((n > PGO_MAX_COMMITS)); then
		note "WARNING: default.pgo is $n commits older than the code it profiles (more than $PGO_MAX_COMMITS): refresh it with ./build.sh pgo"
		record meta pgo_warning "default.pgo is $n commits older than the code (refresh: ./build.sh pgo)"
	fi
}

# wanted SCENARIO: the scenario is part of this run (BENCH_ONLY, a list
# such as "1 2 flood go", picks some; all by default).
wanted() { [[ -z ${BENCH_ONLY:-} || " $BENCH_ONLY " == *" $1 "* ]]; }

main() {
	local started=$SECONDS
	step "corebind benchmark, $MODE run: $ROUNDS round(s) of ${SECONDS_PER_RUN}s per variant"
	machine
	record meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
	note "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	generate
	if wanted 1 || wanted 3 || wanted 6; then start_upstream; fi
	if wanted 1; then scenario_authoritative; fi
	if wanted 2; then scenario_querylog; fi
	if wanted 3; then scenario_recursionacl; fi
	if wanted 4; then scenario_chaosmask; fi
	if wanted 5; then scenario_rfc2317; fi
	if wanted 6; then scenario_stubzones; fi
	if wanted 8; then scenario_rrl; fi
	if [[ -n ${PID[upstream]:-} ]]; then stop upstream; fi
	if wanted flood; then scenario_flood; fi
	if wanted go; then micro_benchmarks; fi
	record meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
	record meta duration "$((SECONDS - started))s"
	step "report"
	"$BENCHTOOL" report -log "$LOG" -md "$RESULTS_DIR/RESULTS.md" -json "$RESULTS_DIR/results.json"
	note "wrote $RESULTS_DIR/RESULTS.md and results.json"
	note "took $((SECONDS - started))s; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

main
