// Command mkimage builds corebind's container image without a container
// engine: a static coredns binary and the build machine's CA certificates on
// an empty (scratch) base, written as an OCI image layout and as a tarball
// that `docker load` accepts. Every timestamp comes from -created, so the same
// inputs always give the same image digest.
//
// ./build.sh image runs it; the Dockerfile builds the same image with Docker.
//
//	go -C tools run ./mkimage -binary ../coredns -version 0.1.0 -revision 0123abcd -created 1763700000 -out ../image
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	var o options
	var created int64
	flag.StringVar(&o.binary, "binary", "", "the static coredns binary (linux ELF) to put at /coredns")
	flag.StringVar(&o.certs, "certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to put at /etc/ssl/certs/ca-certificates.crt")
	flag.StringVar(&o.version, "version", "", "corebind version: image tag and org.opencontainers.image.version")
	flag.StringVar(&o.revision, "revision", "", "source revision: org.opencontainers.image.revision")
	flag.StringVar(&o.source, "source", "https://github.com/corebind/corebind", "org.opencontainers.image.source")
	flag.StringVar(&o.repository, "name", "corebind", "image name the tarball is tagged with (NAME:VERSION)")
	flag.Int64Var(&created, "created", 0, "image creation time and every file time, in seconds since 1970 (SOURCE_DATE_EPOCH)")
	out := flag.String("out", "image", "output directory: OCI layout in OUT/oci, docker tarball OUT/NAME-VERSION.tar")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}
	if o.binary == "" || o.version == "" || o.revision == "" {
		fail(fmt.Errorf("-binary, -version and -revision are required"))
	}
	o.created = time.Unix(created, 0).UTC()

	img, err := build(o)
	if err != nil {
		fail(err)
	}
	res, err := write(img, o, *out)
	if err != nil {
		fail(err)
	}
	fmt.Printf("image %s (%s)\n  digest  %s\n  layout  %s\n  tarball %s\n", o.tag(), res.platform, res.digest, res.layout, res.tarball)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "mkimage: %v\n", err)
	os.Exit(1)
}
