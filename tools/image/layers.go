package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entry is one file or directory of a layer. Times are zero so that the same inputs give the same digest.
type entry struct {
	path     string
	mode     int64
	uid, gid int
	dir      bool
	content  []byte
}

// baseLayer holds what a dynamically linked kamld needs from a Debian system, and nothing else: its shared
// libraries and loader (from ldd), CA certificates for TLS to S3, Elasticsearch and Trino, the user in
// /etc/passwd and /etc/group, and the directories a read-only root filesystem must still offer.
func baseLayer(kamld string) (v1.Layer, error) {
	libs, err := sharedLibraries(kamld)
	if err != nil {
		return nil, err
	}
	entries := []entry{
		{path: "etc/passwd", mode: 0o644, content: fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nkamld:x:%d:%d:kamld:%s:/sbin/nologin\n", uid, gid, dataDir)},
		{path: "etc/group", mode: 0o644, content: fmt.Appendf(nil, "root:x:0:\nkamld:x:%d:\n", gid)},
		{path: "tmp", mode: 0o1777, dir: true},
		{path: strings.TrimPrefix(dataDir, "/"), mode: 0o700, dir: true, uid: uid, gid: gid},
	}
	if ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		entries = append(entries, entry{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, content: ca})
	}
	for _, lib := range libs {
		b, err := os.ReadFile(lib) // follows symlinks: the image holds the file under the name the loader asks for
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{path: strings.TrimPrefix(lib, "/"), mode: 0o755, content: b})
	}
	return layer(entries)
}

// binaryLayer puts both binaries in /usr/local/bin under their release names, whatever the files are called.
func binaryLayer(kamld, helper string) (v1.Layer, error) {
	var entries []entry
	for name, p := range map[string]string{"kamld": kamld, "kamld-job-helper": helper} {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{path: strings.TrimPrefix(binDir, "/") + "/" + name, mode: 0o755, content: b})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].path < entries[j].path }) // reproducible order
	return layer(entries)
}

var lddPath = regexp.MustCompile(`(?m)(/\S+) \(0x[0-9a-f]+\)$`)

// sharedLibraries lists the absolute paths ldd resolves for bin, the loader included.
func sharedLibraries(bin string) ([]string, error) {
	out, err := exec.Command("ldd", bin).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("not a dynamic executable")) {
			return nil, nil // static: nothing to add
		}
		return nil, fmt.Errorf("ldd %s: %w: %s", bin, err, out)
	}
	if bytes.Contains(out, []byte("not found")) {
		return nil, fmt.Errorf("ldd %s: a library is missing on this system:\n%s", bin, out)
	}
	var libs []string
	for _, m := range lddPath.FindAllSubmatch(out, -1) {
		libs = append(libs, string(m[1]))
	}
	sort.Strings(libs)
	return libs, nil
}

// layer writes entries (with their parent directories) into an uncompressed tar and makes it a layer.
func layer(entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, e := range entries {
		if err := parents(tw, e.path, seen); err != nil {
			return nil, err
		}
		h := &tar.Header{Name: e.path, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag, h.Name = tar.TypeDir, e.path+"/"
			seen[e.path] = true
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.content))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
}

// parents writes the directories above p that are not written yet, root-owned and world-readable.
func parents(tw *tar.Writer, p string, seen map[string]bool) error {
	dir := path.Dir(p)
	if dir == "." || seen[dir] {
		return nil
	}
	if err := parents(tw, dir, seen); err != nil {
		return err
	}
	seen[dir] = true
	return tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0), Format: tar.FormatPAX})
}
