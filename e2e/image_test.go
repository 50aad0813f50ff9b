package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/corebind/corebind/internal/testkit"
)

// What ./build.sh image passes to tools/mkimage, fixed here so the test knows
// what to expect.
const (
	imageRevision = "0123456789ab"
	imageCreated  = 1763700000 // 2025-11-21T04:40:00Z
	imageSource   = "https://github.com/corebind/corebind"
	systemCerts   = "/etc/ssl/certs/ca-certificates.crt"
)

// TestImage builds the container image from the binary under test as
// ./build.sh image does, twice, and checks it the way a container runtime
// would see it, reading the OCI layout and the docker tarball with plain Go
// (no container engine, no go-containerregistry): the same inputs give the
// same digest; the config is CoreDNS's (entrypoint, cmd, non-root user, ports,
// labels) and the Dockerfile's; the layers hold exactly the binary, with the
// capability to bind port 53, and the CA bundle; and the binary, unpacked and
// started as the image says — chrooted, as user 65532 — serves DNS on port 53.
func TestImage(t *testing.T) {
	testkit.Require(t, "ip", "chroot", "dig")
	bin := testkit.Binary(t)
	version := distVersion(t)

	dir := t.TempDir()
	first := buildImage(t, bin, filepath.Join(dir, "first"))

	// The same binary elsewhere, with another mode and modification time:
	// none of that may reach the image.
	moved := filepath.Join(dir, "bin", "coredns")
	distCopy(t, bin, moved, 0o700)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(moved, later, later); err != nil {
		t.Fatal(err)
	}
	second := buildImage(t, moved, filepath.Join(dir, "second"))

	img := readLayout(t, filepath.Join(first, "oci"))
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil { // the image's / for user 65532, whatever the umask
		t.Fatal(err)
	}
	files := unpack(t, img, root)

	t.Run("reproducible", func(t *testing.T) {
		again := readLayout(t, filepath.Join(second, "oci"))
		if img.digest != again.digest {
			t.Errorf("same inputs, different image digests: %s and %s", img.digest, again.digest)
		}
		tarball := "corebind-" + version + ".tar"
		a, b := distDigest(t, filepath.Join(first, tarball)), distDigest(t, filepath.Join(second, tarball))
		if a != b {
			t.Errorf("same inputs, different docker tarballs: sha256:%s and sha256:%s", a, b)
		}
	})

	t.Run("config", func(t *testing.T) {
		c := img.config
		if img.manifest.MediaType != "application/vnd.oci.image.manifest.v1+json" || img.manifest.Config.MediaType != "application/vnd.oci.image.config.v1+json" {
			t.Errorf("media types %q, %q: want OCI's", img.manifest.MediaType, img.manifest.Config.MediaType)
		}
		if c.OS != "linux" || c.Architecture != runtime.GOARCH {
			t.Errorf("platform %s/%s, want linux/%s", c.OS, c.Architecture, runtime.GOARCH)
		}
		if want := time.Unix(imageCreated, 0).UTC(); !c.Created.Equal(want) {
			t.Errorf("created %s, want %s (the -created time)", c.Created, want)
		}
		for _, h := range c.History {
			if !h.Created.Equal(c.Created) {
				t.Errorf("history %q created %s, want %s", h.CreatedBy, h.Created, c.Created)
			}
		}
		cc := c.Config
		check := func(what string, got, want any) {
			t.Helper()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %#v, want %#v", what, got, want)
			}
		}
		check("Entrypoint", cc.Entrypoint, []string{"/coredns"})
		check("Cmd", cc.Cmd, []string{"-conf", "/etc/coredns/Corefile"})
		check("User", cc.User, "65532:65532")
		check("WorkingDir", cc.WorkingDir, "/")
		check("ExposedPorts", cc.ExposedPorts, map[string]struct{}{"53/tcp": {}, "53/udp": {}})
		check("Env", cc.Env, []string(nil))
		check("Labels", cc.Labels, map[string]string{
			"org.opencontainers.image.title":       "corebind",
			"org.opencontainers.image.description": "CoreDNS v1.15.0 with corebind's plugins: querylog, recursionacl, rfc2317, stubzones, chaosmask, rrl",
			"org.opencontainers.image.version":     version,
			"org.opencontainers.image.revision":    imageRevision,
			"org.opencontainers.image.source":      imageSource,
		})
		check("index annotations", img.index.Manifests[0].Annotations, map[string]string{
			"org.opencontainers.image.ref.name": version,
			"io.containerd.image.name":          "docker.io/library/corebind:" + version,
		})
	})

	t.Run("dockerfile", func(t *testing.T) {
		df := parseDockerfile(t, filepath.Join(testkit.RepoRoot(), "Dockerfile"), map[string]string{"REVISION": imageRevision})
		cc := img.config.Config
		if df.user != cc.User || df.workdir != cc.WorkingDir {
			t.Errorf("Dockerfile USER %q WORKDIR %q, image %q %q", df.user, df.workdir, cc.User, cc.WorkingDir)
		}
		if !reflect.DeepEqual(df.exposed, cc.ExposedPorts) {
			t.Errorf("Dockerfile EXPOSE %v, image %v", df.exposed, cc.ExposedPorts)
		}
		if !slices.Equal(df.entrypoint, cc.Entrypoint) || !slices.Equal(df.cmd, cc.Cmd) {
			t.Errorf("Dockerfile ENTRYPOINT %q CMD %q, image %q %q", df.entrypoint, df.cmd, cc.Entrypoint, cc.Cmd)
		}
		if !reflect.DeepEqual(df.labels, cc.Labels) {
			t.Errorf("Dockerfile LABEL (ARG VERSION's default must be VERSION's %s)\n%v\nimage\n%v", version, df.labels, cc.Labels)
		}
		var regular []string
		for _, f := range files {
			if !strings.HasSuffix(f, "/") {
				regular = append(regular, "/"+f)
			}
		}
		if !slices.Equal(df.copied, regular) { // same order: one layer per COPY
			t.Errorf("Dockerfile copies %q into the image, the image holds %q", df.copied, regular)
		}
		if !df.setcap {
			t.Errorf("Dockerfile does not run setcap cap_net_bind_service=+ep on /coredns")
		}
	})

	t.Run("tarball", func(t *testing.T) {
		dt := readDockerTarball(t, filepath.Join(first, "corebind-"+version+".tar"))
		if !slices.Equal(dt.manifest.RepoTags, []string{"corebind:" + version}) {
			t.Errorf("docker tarball tags %q, want corebind:%s", dt.manifest.RepoTags, version)
		}
		if !bytes.Equal(dt.files[dt.manifest.Config], img.blob(t, img.manifest.Config.Digest)) {
			t.Errorf("docker tarball config %s differs from the OCI layout's %s", dt.manifest.Config, img.manifest.Config.Digest)
		}
		var layers []string
		for _, l := range img.manifest.Layers {
			layers = append(layers, strings.TrimPrefix(l.Digest, "sha256:")+".tar.gz")
		}
		if !slices.Equal(dt.manifest.Layers, layers) {
			t.Errorf("docker tarball layers %q, OCI layout's %q", dt.manifest.Layers, layers)
		}
		for _, l := range dt.manifest.Layers {
			if sum := sha256.Sum256(dt.files[l]); hex.EncodeToString(sum[:])+".tar.gz" != l {
				t.Errorf("docker tarball layer %s has another content", l)
			}
		}
	})

	t.Run("serves", func(t *testing.T) {
		want := []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca-certificates.crt", "coredns"}
		if !slices.Equal(files, want) {
			t.Fatalf("image files %q, want %q", files, want)
		}
		if !bytes.Equal(distRead(t, filepath.Join(root, "coredns")), distRead(t, bin)) {
			t.Errorf("/coredns is not the binary the image was built from")
		}
		certs := distRead(t, filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"))
		if !bytes.Equal(certs, distRead(t, systemCerts)) {
			t.Errorf("/etc/ssl/certs/ca-certificates.crt is not the build machine's %s", systemCerts)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(certs) {
			t.Errorf("/etc/ssl/certs/ca-certificates.crt holds no certificate")
		}

		// As Kubernetes does: the Corefile mounted at /etc/coredns, the
		// entrypoint and cmd run as the image's user, port 53.
		testkit.WriteFile(t, filepath.Join(root, "etc/coredns/Corefile"), ".:53 {\n    hosts {\n        192.0.2.53 image.test\n    }\n}\n")
		for path, mode := range map[string]os.FileMode{"etc/coredns": 0o755, "etc/coredns/Corefile": 0o644} {
			if err := os.Chmod(filepath.Join(root, path), mode); err != nil { // readable by user 65532
				t.Fatal(err)
			}
		}
		ns := testkit.NewNetns(t)
		chroot, err := exec.LookPath("chroot")
		if err != nil {
			t.Fatal(err)
		}
		cc := img.config.Config
		args := append([]string{"--userspec=" + cc.User, root}, append(cc.Entrypoint, cc.Cmd...)...)
		cmd := ns.Command(chroot, args...)
		cmd.Env = cc.Env // the image's environment only
		p := testkit.StartProc(t, "image coredns", cmd)
		testkit.WaitDNS(t, ns, "127.0.0.1:53", p)

		for _, proto := range []string{"+notcp", "+tcp"} {
			out, code := testkit.Dig(t, ns, "@127.0.0.1", proto, "image.test", "A", "+short")
			if code != 0 || strings.TrimSpace(out) != "192.0.2.53" {
				t.Errorf("dig %s image.test: exit %d, %q; want 192.0.2.53", proto, code, out)
			}
		}
		// ip netns exec and chroot exec, so the pid is coredns's.
		status := string(distRead(t, fmt.Sprintf("/proc/%d/status", p.Pid())))
		for _, want := range []string{"Uid:\t65532\t65532\t65532\t65532", "Gid:\t65532\t65532\t65532\t65532", "CapEff:\t0000000000000400"} {
			if !strings.Contains(status, want) {
				t.Errorf("coredns in the image does not run with %q (only CAP_NET_BIND_SERVICE, as user 65532):\n%s", want, status)
			}
		}
		if err := p.Stop(); err != nil {
			t.Errorf("coredns exit: %v\n%s", err, p.Output())
		}
	})
}

// buildImage runs tools/mkimage as ./build.sh image does and returns the
// output directory.
func buildImage(t *testing.T, bin, out string) string {
	t.Helper()
	cmd := exec.Command("go", "-C", filepath.Join(testkit.RepoRoot(), "tools"), "run", "./mkimage",
		"-binary", bin, "-version", distVersion(t), "-revision", imageRevision,
		"-created", fmt.Sprint(imageCreated), "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mkimage: %v\n%s", err, b)
	} else {
		t.Logf("mkimage:\n%s", b)
	}
	return out
}

// OCI image layout, only the fields the test reads.
type (
	ociDescriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int64             `json:"size"`
		Annotations map[string]string `json:"annotations"`
	}
	ociIndex struct {
		Manifests []ociDescriptor `json:"manifests"`
	}
	ociManifest struct {
		MediaType string          `json:"mediaType"`
		Config    ociDescriptor   `json:"config"`
		Layers    []ociDescriptor `json:"layers"`
	}
	imageConfig struct {
		Created      time.Time `json:"created"`
		OS           string    `json:"os"`
		Architecture string    `json:"architecture"`
		Config       struct {
			User         string              `json:"User"`
			ExposedPorts map[string]struct{} `json:"ExposedPorts"`
			Env          []string            `json:"Env"`
			Entrypoint   []string            `json:"Entrypoint"`
			Cmd          []string            `json:"Cmd"`
			WorkingDir   string              `json:"WorkingDir"`
			Labels       map[string]string   `json:"Labels"`
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []struct {
			Created   time.Time `json:"created"`
			CreatedBy string    `json:"created_by"`
		} `json:"history"`
	}
)

type layoutImage struct {
	dir      string
	digest   string
	index    ociIndex
	manifest ociManifest
	config   imageConfig
}

// readLayout reads the one image of an OCI image layout, checking each
// blob's digest and size as it goes.
func readLayout(t *testing.T, dir string) *layoutImage {
	t.Helper()
	img := &layoutImage{dir: dir}
	if got := string(distRead(t, filepath.Join(dir, "oci-layout"))); !strings.Contains(got, `"imageLayoutVersion": "1.0.0"`) && !strings.Contains(got, `"imageLayoutVersion":"1.0.0"`) {
		t.Fatalf("oci-layout = %q", got)
	}
	distJSON(t, distRead(t, filepath.Join(dir, "index.json")), &img.index)
	if len(img.index.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(img.index.Manifests))
	}
	m := img.index.Manifests[0]
	img.digest = m.Digest
	distJSON(t, img.blobOf(t, m), &img.manifest)
	distJSON(t, img.blobOf(t, img.manifest.Config), &img.config)
	if len(img.config.RootFS.DiffIDs) != len(img.manifest.Layers) || len(img.config.History) != len(img.manifest.Layers) {
		t.Fatalf("%d layers, %d diff_ids, %d history entries", len(img.manifest.Layers), len(img.config.RootFS.DiffIDs), len(img.config.History))
	}
	return img
}

func (img *layoutImage) blob(t *testing.T, digest string) []byte {
	t.Helper()
	algo, sum, ok := strings.Cut(digest, ":")
	if !ok || algo != "sha256" {
		t.Fatalf("digest %q: want sha256:HEX", digest)
	}
	b := distRead(t, filepath.Join(img.dir, "blobs", algo, sum))
	if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
		t.Fatalf("blob %s has another content", digest)
	}
	return b
}

func (img *layoutImage) blobOf(t *testing.T, d ociDescriptor) []byte {
	t.Helper()
	b := img.blob(t, d.Digest)
	if int64(len(b)) != d.Size {
		t.Fatalf("blob %s is %d bytes, its ociDescriptor says %d", d.Digest, len(b), d.Size)
	}
	return b
}

// unpack applies the layers in order under root as a runtime does, with
// owners, modes and extended attributes (security.capability), and returns
// the entries in order. Anything but plain files and directories — links,
// devices, whiteouts, paths leaving root — fails the test: the image has no
// business holding them.
func unpack(t *testing.T, img *layoutImage, root string) []string {
	t.Helper()
	var names []string
	for i, l := range img.manifest.Layers {
		if l.MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
			t.Fatalf("layer %s: media type %q", l.Digest, l.MediaType)
		}
		zr, err := gzip.NewReader(bytes.NewReader(img.blobOf(t, l)))
		if err != nil {
			t.Fatalf("layer %s: %v", l.Digest, err)
		}
		diff := sha256.New()
		tr := tar.NewReader(io.TeeReader(zr, diff))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
			if !filepath.IsLocal(h.Name) || strings.Contains(h.Name, ".wh.") {
				t.Fatalf("layer %s: entry %q", l.Digest, h.Name)
			}
			if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(img.config.Created) {
				t.Errorf("layer %s: %s owned by %d:%d (%q:%q), time %s: want 0:0, no names, the -created time", l.Digest, h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
			}
			names = append(names, h.Name)
			path := filepath.Join(root, h.Name)
			switch h.Typeflag {
			case tar.TypeDir:
				if err := os.MkdirAll(path, os.FileMode(h.Mode)); err != nil {
					t.Fatal(err)
				}
			case tar.TypeReg:
				f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, os.FileMode(h.Mode))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(f, tr); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatalf("layer %s: %s has type %c", l.Digest, h.Name, h.Typeflag)
			}
			if err := os.Chmod(path, os.FileMode(h.Mode)); err != nil { // past the umask
				t.Fatal(err)
			}
			for k, v := range h.PAXRecords {
				if attr, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
					if err := unix.Setxattr(path, attr, []byte(v), 0); err != nil {
						t.Fatalf("setting %s on %s: %v", attr, h.Name, err)
					}
				}
			}
			if h.Name == "coredns" && h.PAXRecords["SCHILY.xattr.security.capability"] != "\x01\x00\x00\x02\x00\x04\x00\x00"+strings.Repeat("\x00", 12) {
				t.Errorf("/coredns lacks the file capability cap_net_bind_service=+ep: %q", h.PAXRecords)
			}
		}
		if _, err := io.Copy(diff, zr); err != nil { // tar's trailing padding
			t.Fatal(err)
		}
		if got := "sha256:" + hex.EncodeToString(diff.Sum(nil)); got != img.config.RootFS.DiffIDs[i] {
			t.Errorf("layer %s: uncompressed digest %s, config's diff_id %s", l.Digest, got, img.config.RootFS.DiffIDs[i])
		}
	}
	return names
}

type dockerTarball struct {
	manifest struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	files map[string][]byte
}

// readDockerTarball reads a `docker save` format archive.
func readDockerTarball(t *testing.T, path string) *dockerTarball {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dt := &dockerTarball{files: map[string][]byte{}}
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		dt.files[h.Name] = b
	}
	var manifests []json.RawMessage
	distJSON(t, dt.files["manifest.json"], &manifests)
	if len(manifests) != 1 {
		t.Fatalf("%s: manifest.json lists %d images, want 1", path, len(manifests))
	}
	distJSON(t, manifests[0], &dt.manifest)
	return dt
}

// dockerfile is the final stage of the Dockerfile, ARGs expanded.
type dockerfile struct {
	user, workdir   string
	exposed         map[string]struct{}
	entrypoint, cmd []string
	labels          map[string]string
	copied          []string // destinations of COPY
	setcap          bool     // the build stage gives /coredns cap_net_bind_service
}

// parseDockerfile reads the instructions this project's Dockerfile uses:
// continuation lines, ARG defaults (args overrides them, as --build-arg
// does), and the final stage's USER, WORKDIR, EXPOSE, LABEL, COPY,
// ENTRYPOINT and CMD.
func parseDockerfile(t *testing.T, path string, args map[string]string) dockerfile {
	t.Helper()
	text := strings.ReplaceAll(string(distRead(t, path)), "\\\n", " ")
	df := dockerfile{exposed: map[string]struct{}{}, labels: map[string]string{}}
	vars := map[string]string{}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string { return vars[k] })
	}
	label := regexp.MustCompile(`([\w.-]+)="([^"]*)"`)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM": // a new stage starts over; the build stage's setcap counts
			df = dockerfile{exposed: map[string]struct{}{}, labels: map[string]string{}, setcap: df.setcap}
		case "RUN":
			if strings.Contains(rest, "setcap cap_net_bind_service=+ep /coredns") {
				df.setcap = true
			}
		case "ARG":
			k, v, _ := strings.Cut(rest, "=")
			if a, ok := args[k]; ok {
				v = a
			}
			vars[k] = v
		case "USER":
			df.user = expand(rest)
		case "WORKDIR":
			df.workdir = expand(rest)
		case "EXPOSE":
			for _, p := range strings.Fields(rest) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				df.exposed[p] = struct{}{}
			}
		case "LABEL":
			for _, m := range label.FindAllStringSubmatch(rest, -1) {
				df.labels[m[1]] = expand(m[2])
			}
		case "COPY":
			f := strings.Fields(rest)
			df.copied = append(df.copied, f[len(f)-1])
		case "ENTRYPOINT":
			distJSON(t, []byte(rest), &df.entrypoint)
		case "CMD":
			distJSON(t, []byte(rest), &df.cmd)
		}
	}
	return df
}
