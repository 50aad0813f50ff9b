#!/usr/bin/env bash
# build.sh — build, run and test corebind (CoreDNS v1.15.0 + corebind's plugins).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
readonly ROOT=$PWD
readonly BINARY=$ROOT/coredns
readonly VANILLA=$ROOT/coredns-vanilla
readonly N2C=$ROOT/named2corefile
readonly NOPGO=$ROOT/coredns-nopgo

usage() {
	cat <<'USAGE'
usage: ./build.sh [command]

commands:
  build        build ./coredns, a static binary (CGO off), from plugin.cfg, optimized
               with the CPU profile default.pgo, and ./named2corefile, the
               named.conf converter (default)
  pgo          refresh default.pgo: profile a binary built without it under a
               representative load (bench/pgo.sh), write the profile, then time a
               cold build with and without it (bench/pgo-build.tsv) and build
  run          build, then serve Corefile.example on 127.0.0.1 (ports 1053-1056, stats on 9154)
  vanilla      build ./coredns-vanilla: upstream CoreDNS v1.15.0, same module versions,
               no profile (as users get it upstream), for side-by-side comparisons
  image        build ./coredns, then its container image without a container engine,
               reproducibly: OCI layout ./image/oci, `docker load` tarball
               ./image/corebind-VERSION.tar (SOURCE_DATE_EPOCH or the commit time)
  bench [--quick]
               build ./coredns, ./coredns-nopgo (the same without the profile) and
               ./coredns-vanilla, then measure corebind against
               vanilla CoreDNS and BIND 9 side by side (dnsperf, loopback; about
               20 minutes) and write bench/RESULTS.md and bench/results.json;
               --quick checks the harness in a minute or two (bench/out/quick/)
  test-import  carry out README.md's single-plugin import: recursionacl added to a copy
               of CoreDNS v1.15.0's own source, built, and serving (part of test)
  test         everything CI checks: generated files, gofmt, go vet, unit and
               integration tests with -race, every fuzz target for FUZZTIME
               (default 10s each), end-to-end tests against ./coredns with
               BIND 9, dig and kdig (hostile input, failure injection, 50
               reloads under load, a 60-second soak); installs missing Debian
               test tools
  soak [-d DURATION]
               build, then run the soak test: mixed load through all six
               plugins for DURATION (default 10m), printing queries, errors,
               memory, goroutines and file descriptors at start and end
  deps         install the Debian packages the tests use (needs root or sudo)
  -h, --help   this text
USAGE
}

die() { echo "build.sh: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

require_go() {
	command -v go >/dev/null || die "go is not installed (Go 1.26 or newer is needed; see README.md)"
}

version() { tr -d '[:space:]' <VERSION; }

commit() {
	local c
	c=$(git rev-parse --short=12 HEAD 2>/dev/null) || { echo "unknown"; return; }
	[[ -z $(git status --porcelain 2>/dev/null) ]] || c+="-dirty"
	echo "$c"
}

# go build uses default.pgo, beside coredns.go, by itself (-pgo=auto): the
# binary and the image are built with it; other main packages (vanilla,
# named2corefile) and importers of one plugin are not.
build_coredns() {
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.commit=$(commit)" "$@" .
}

cmd_build() {
	require_go
	step "building ./coredns (corebind $(version), $(commit)), profile-guided (default.pgo)"
	build_coredns -o "$BINARY"
	"$BINARY" -version
	step "building ./named2corefile"
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$N2C" ./cmd/named2corefile
}

# The profile is taken from a binary built without it, with the same
# data, Corefile and load every time (bench/pgo.sh), so a refresh depends
# on the code, not on the previous profile. Refresh it after a CoreDNS, Go
# or miekg/dns upgrade and after changing a hot path: the benchmark warns
# when the code has moved on many commits since.
cmd_pgo() {
	require_go
	cmd_deps
	step "profiling a representative load for default.pgo"
	bench/pgo.sh "$ROOT/default.pgo"
	step "timing a cold build with and without the profile (go build -a)"
	local t0 t1 t2
	t0=$SECONDS
	build_coredns -a -pgo=off -o "$NOPGO"
	t1=$SECONDS
	build_coredns -a -o "$BINARY"
	t2=$SECONDS
	printf 'build_seconds_nopgo\t%d\nbuild_seconds_pgo\t%d\n' $((t1 - t0)) $((t2 - t1)) >bench/pgo-build.tsv
	echo "cold build: $((t1 - t0))s without the profile, $((t2 - t1))s with it"
	cmd_build
}

cmd_vanilla() {
	require_go
	step "building ./coredns-vanilla (upstream CoreDNS v1.15.0 plugin set)"
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$VANILLA" ./internal/vanilla
}

cmd_image() {
	cmd_build
	# Every timestamp in the image is this one: same commit, same binary and
	# CA bundle, same digest.
	local created=${SOURCE_DATE_EPOCH:-}
	[[ -n $created ]] || created=$(git log -1 --format=%ct 2>/dev/null) || created=0
	step "building the container image in ./image (no container engine needed)"
	go -C tools run ./mkimage -binary "$BINARY" -version "$(version)" -revision "$(commit)" \
		-created "$created" -out "$ROOT/image"
}

# The import test lives in e2e/import_test.go behind the importtest build tag,
# so that the e2e step does not run it a second time.
cmd_test_import() {
	require_go
	step "single-plugin import: recursionacl into CoreDNS v1.15.0's own build"
	go vet -tags importtest ./e2e/
	go test -tags importtest -count=1 -timeout 20m -run '^TestSelectiveImport$' -v ./e2e/
}

cmd_bench() {
	local quick=()
	case ${1:-} in
	--quick) quick=(--quick) ;;
	"") ;;
	*) die "bench takes only --quick, got: $*" ;;
	esac
	cmd_build
	cmd_vanilla
	# The same code without the profile shows what the profile gains. A
	# quick run only checks the harness: it reuses ./coredns rather than
	# compile everything a second time.
	local nopgo=$BINARY
	if ((${#quick[@]} == 0)); then
		step "building ./coredns-nopgo (the same, without the profile)"
		build_coredns -pgo=off -o "$NOPGO"
		nopgo=$NOPGO
	fi
	bench/run.sh "${quick[@]}" "$BINARY" "$VANILLA" "$nopgo"
}

cmd_run() {
	cmd_build
	step "serving Corefile.example (Ctrl-C stops)"
	mkdir -p run
	exec "$BINARY" -conf "$ROOT/Corefile.example"
}

# Debian packages and the command each provides.
readonly -A TOOLS=(
	[named]=bind9 [dig]=bind9-dnsutils [kdig]=knot-dnsutils [dnsperf]=dnsperf
	[fail2ban-regex]=fail2ban [nmap]=nmap [ip]=iproute2 [curl]=curl [jq]=jq
	[chromium]=chromium
)

cmd_deps() {
	local missing=() tool
	for tool in "${!TOOLS[@]}"; do
		command -v "$tool" >/dev/null || missing+=("${TOOLS[$tool]}")
	done
	((${#missing[@]})) || return 0
	step "installing ${missing[*]}"
	local sudo=()
	((EUID == 0)) || sudo=(sudo)
	command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} by hand"
	# Keep the services these packages ship (named on port 53, fail2ban) from
	# starting: the tests start their own.
	local policy=/usr/sbin/policy-rc.d
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
		"${sudo[@]}" chmod +x "$policy"
		trap '"${sudo[@]}" rm -f '"$policy" RETURN
	fi
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	for tool in "${!TOOLS[@]}"; do
		command -v "$tool" >/dev/null || die "$tool still missing after installing ${TOOLS[$tool]}"
	done
}

# fuzz_one TARGET FUZZTIME PACKAGE fuzzes one target. Go 1.26's fuzzing
# coordinator can end a run at its -fuzztime deadline with a bare "context
# deadline exceeded" and no failing input (go.dev/issue/75804, fixed in Go
# 1.27): that run is repeated once. A real finding always writes its input
# to testdata/fuzz and fails at once.
fuzz_one() {
	local log
	log=$(mktemp)
	if go test -run '^$' -fuzz "^$1\$" -fuzztime "$2" "$3" 2>&1 | tee "$log"; then
		rm -f "$log"
		return 0
	fi
	if grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input written|panic:' "$log"; then
		rm -f "$log"
		echo "fuzz: $1 ended on Go's -fuzztime race (go.dev/issue/75804), with no failing input: once more"
		go test -run '^$' -fuzz "^$1\$" -fuzztime "$2" "$3"
		return
	fi
	rm -f "$log"
	return 1
}

cmd_test() {
	require_go
	cmd_deps

	step "generated files are up to date with plugin.cfg"
	go run ./internal/plugincfg/gen
	git diff --exit-code -- core/ || die "core/z*.go are stale: run 'go generate' and commit the result"

	step "gofmt"
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go'))
	[[ -z $unformatted ]] || die "gofmt would change: $unformatted"

	step "go vet"
	go vet ./...
	go vet -tags importtest ./e2e/
	go -C tools vet ./...

	cmd_build
	cmd_vanilla
	export COREBIND_BINARY=$BINARY COREBIND_VANILLA=$VANILLA COREBIND_NAMED2COREFILE=$N2C

	step "unit and integration tests (-race)"
	go test -race -count=1 $(go list ./... | grep -v '/e2e$')

	# Every fuzz target (plugin/*/fuzz_test.go, and named2corefile's parser
	# and converter in internal/namedconf and internal/convert) for FUZZTIME, from its seed
	# corpus in testdata/fuzz. A crasher is written there and fails the step:
	# commit it as a regression test with the fix. A long hunt:
	#   go test -run '^$' -fuzz '^FuzzServeDNS$' -fuzztime 1h ./plugin/querylog/
	local fuzztime=${FUZZTIME:-10s} file target
	step "fuzzing: every target for $fuzztime"
	for file in plugin/*/fuzz_test.go internal/namedconf/fuzz_test.go internal/convert/fuzz_test.go; do
		for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | cut -d' ' -f2); do
			fuzz_one "$target" "$fuzztime" "./${file%/*}/"
		done
	done

	# The e2e step includes the hardening tests and the 60-second soak
	# (e2e/soak_test.go; ./build.sh soak runs the long one).
	step "end-to-end tests against ./coredns"
	# -artifacts keeps what tests save with t.ArtifactDir (the screenshot of
	# querylog's page) under ./artifacts.
	mkdir -p "$ROOT/artifacts"
	go test -count=1 -timeout 30m -artifacts -outputdir "$ROOT/artifacts" ./e2e/
	cmd_test_import
	./build.sh bench --quick

	step "all tests passed"
}

# The soak test (e2e/soak_test.go) for a given time, 10 minutes by default.
cmd_soak() {
	local duration=10m
	while (($#)); do
		case $1 in
		-d | --duration)
			(($# >= 2)) || die "soak: $1 needs a duration such as 10m or 1h"
			duration=$2
			shift 2
			;;
		*) die "soak: unknown argument $1 (usage: ./build.sh soak [-d DURATION])" ;;
		esac
	done
	# Whole seconds, for go test's own timeout: the soak plus time to start,
	# stop and report.
	local n=${duration%[smh]} secs
	[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "soak: $duration is not a duration such as 90s, 10m or 2h"
	case $duration in
	*h) secs=$((n * 3600)) ;;
	*m) secs=$((n * 60)) ;;
	*s) secs=$n ;;
	*) die "soak: $duration has no unit; write 90s, 10m or 2h" ;;
	esac
	cmd_deps
	cmd_build
	step "soak: mixed load through all six plugins for $duration"
	COREBIND_BINARY=$BINARY COREBIND_SOAK=$duration \
		go test -count=1 -timeout "$((secs + 600))s" -run '^TestSoak$' -v ./e2e/
}

main() {
	local cmd=${1:-build}
	(($#)) && shift
	case $cmd in
	build) cmd_build "$@" ;;
	pgo) cmd_pgo "$@" ;;
	run) cmd_run "$@" ;;
	vanilla) cmd_vanilla "$@" ;;
	image) cmd_image "$@" ;;
	bench) cmd_bench "$@" ;;
	test-import) cmd_test_import "$@" ;;
	test) cmd_test "$@" ;;
	soak) cmd_soak "$@" ;;
	deps) cmd_deps "$@" ;;
	-h | --help | help) usage ;;
	*) usage >&2; die "unknown command: $cmd" ;;
	esac
}

main "$@"
