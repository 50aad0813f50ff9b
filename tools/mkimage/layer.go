package main

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// capNetBindService is the security.capability extended attribute that
// `setcap cap_net_bind_service=+ep` writes (struct vfs_cap_data, revision 2,
// little-endian): magic 0x02000001 (revision 2, effective), permitted bit 10
// (CAP_NET_BIND_SERVICE), nothing inheritable. It lets the non-root user
// bind port 53, as CoreDNS's own image does; Kubernetes' stock Deployment adds
// NET_BIND_SERVICE to the container's capabilities for exactly this file.
var capNetBindService = string([]byte{
	0x01, 0x00, 0x00, 0x02, // magic_etc
	0x00, 0x04, 0x00, 0x00, // permitted[0]: 1 << 10
	0x00, 0x00, 0x00, 0x00, // inheritable[0]
	0x00, 0x00, 0x00, 0x00, // permitted[1]
	0x00, 0x00, 0x00, 0x00, // inheritable[1]
})

// file is one regular file of a layer.
type file struct {
	path   string // absolute path in the image
	mode   int64
	data   []byte
	xattrs map[string]string
}

// newLayer builds a gzip-compressed OCI layer holding files and their parent
// directories. Everything that could differ between two builds of the same
// files is fixed: owner root:root with no names, every time set to mtime,
// entries in the order given, directories 0755.
func newLayer(mtime time.Time, files ...file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimPrefix(path.Clean(f.path), "/")
		// Parent directories first, as a runtime unpacking the layer expects.
		var dirs []string
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			dirs = append([]string{d}, dirs...)
		}
		for _, d := range dirs {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := tw.WriteHeader(&tar.Header{
				Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX,
			}); err != nil {
				return nil, err
			}
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg, Name: name, Mode: f.mode, Size: int64(len(f.data)), ModTime: mtime,
			Format: tar.FormatPAX,
		}
		for k, v := range f.xattrs {
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords["SCHILY.xattr."+k] = v
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	return tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer),
		tarball.WithCompressedCaching,
	)
}
