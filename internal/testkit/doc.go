// Package testkit starts real DNS peers for corebind's end-to-end tests: the
// corebind binary, BIND 9 named, dig/kdig, and network namespaces for tests
// that need several servers on port 53. Every process it starts is stopped
// through t.Cleanup; nothing it does sends a packet off loopback.
//
// Missing tools fail the test (never skip it): ./build.sh deps installs them.
package testkit
