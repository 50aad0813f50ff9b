package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's fixed shape. The Dockerfile states the same; e2e/image_test.go
// checks that both agree.
const (
	binaryPath = "/coredns"
	certsPath  = "/etc/ssl/certs/ca-certificates.crt"
	corefile   = "/etc/coredns/Corefile" // where Kubernetes mounts the ConfigMap
	user       = "65532:65532"           // distroless's nonroot, as CoreDNS's image runs
)

type options struct {
	binary, certs             string
	version, revision, source string
	repository                string
	created                   time.Time
}

func (o options) tag() string { return o.repository + ":" + o.version }

// build assembles the image: a scratch base, one layer with the CA bundle and
// one with the binary (as the Dockerfile's two COPY steps make them), and a
// config in the CoreDNS image's manner.
func build(o options) (v1.Image, error) {
	bin, err := inspect(o.binary)
	if err != nil {
		return nil, err
	}
	certs, err := os.ReadFile(o.certs)
	if err != nil {
		return nil, fmt.Errorf("reading the CA bundle: %w (Debian: apt-get install ca-certificates)", err)
	}
	if !strings.Contains(string(certs), "-----BEGIN CERTIFICATE-----") {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", o.certs)
	}
	coredns, err := os.ReadFile(o.binary)
	if err != nil {
		return nil, err
	}

	certsLayer, err := newLayer(o.created, file{path: certsPath, mode: 0o644, data: certs})
	if err != nil {
		return nil, err
	}
	binLayer, err := newLayer(o.created, file{
		path: binaryPath, mode: 0o755, data: coredns,
		xattrs: map[string]string{"security.capability": capNetBindService},
	})
	if err != nil {
		return nil, err
	}

	created := v1.Time{Time: o.created}
	cfg := &v1.ConfigFile{
		Created:      created,
		OS:           bin.platform.OS,
		Architecture: bin.platform.Architecture,
		Variant:      bin.platform.Variant,
		Config: v1.Config{
			User:         user,
			ExposedPorts: map[string]struct{}{"53/tcp": {}, "53/udp": {}},
			Entrypoint:   []string{binaryPath},
			Cmd:          []string{"-conf", corefile},
			WorkingDir:   "/",
			Labels:       labels(o, bin),
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return nil, err
	}
	return mutate.Append(img,
		mutate.Addendum{Layer: certsLayer, History: v1.History{
			Created: created, CreatedBy: "COPY " + certsPath + " " + certsPath + " # CA certificates of the build machine",
		}},
		mutate.Addendum{Layer: binLayer, History: v1.History{
			Created: created, CreatedBy: "COPY /coredns /coredns # static, cap_net_bind_service=+ep",
		}},
	)
}

// labels are the OCI annotations of the image config.
func labels(o options, bin binaryInfo) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "corebind",
		"org.opencontainers.image.description": "CoreDNS " + bin.coredns + " with corebind's plugins: querylog, recursionacl, rfc2317, stubzones, chaosmask, rrl",
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.revision,
		"org.opencontainers.image.source":      o.source,
	}
}

type result struct {
	digest          v1.Hash
	platform        string
	layout, tarball string
}

// write replaces out/oci with an OCI image layout holding img and writes
// out/NAME-VERSION.tar for `docker load`. Each is built in a temporary name
// and renamed into place, so a failed run leaves the previous image whole.
func write(img v1.Image, o options, out string) (result, error) {
	var res result
	var err error
	if res.digest, err = img.Digest(); err != nil {
		return res, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return res, err
	}
	res.platform = cfg.Platform().String()
	ref, err := name.NewTag(o.tag())
	if err != nil {
		return res, fmt.Errorf("image name %q: %w", o.tag(), err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return res, err
	}

	res.layout = filepath.Join(out, "oci")
	tmp := res.layout + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return res, err
	}
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return res, err
	}
	if err := p.AppendImage(img, layout.WithPlatform(*cfg.Platform()), layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.version,           // skopeo/umoci: oci:image/oci:VERSION
		"io.containerd.image.name":          containerdName(ref), // ctr images import
	})); err != nil {
		return res, err
	}
	if err := os.RemoveAll(res.layout); err != nil {
		return res, err
	}
	if err := os.Rename(tmp, res.layout); err != nil {
		return res, err
	}

	res.tarball = filepath.Join(out, strings.ReplaceAll(o.repository, "/", "_")+"-"+o.version+".tar")
	if err := tarball.WriteToFile(res.tarball+".tmp", ref, img); err != nil {
		return res, err
	}
	return res, os.Rename(res.tarball+".tmp", res.tarball)
}

// containerdName is ref fully qualified, as containerd (and so the kubelet)
// names images: corebind:0.1.0 is docker.io/library/corebind:0.1.0.
func containerdName(ref name.Tag) string {
	registry := ref.RegistryStr()
	if registry == "" || registry == name.DefaultRegistry {
		registry = "docker.io"
	}
	return registry + "/" + ref.RepositoryStr() + ":" + ref.TagStr()
}
