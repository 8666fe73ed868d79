package main

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestImageRunsFromItsOwnRootfs builds the image from the release binaries ($KAMLD_BINARY and
// $KAMLD_HELPER_BINARY, which make test-image builds), reads it back from the OCI layout, unpacks its layers
// into a root filesystem and runs it there as the pod would: the image's user, environment and working
// directory, the root filesystem mounted read-only, /tmp and the data directory as writable tmpfs volumes.
// `kamld version` prints the image's version and `kamld serve` becomes ready.
func TestImageRunsFromItsOwnRootfs(t *testing.T) {
	kamld, helper := os.Getenv("KAMLD_BINARY"), os.Getenv("KAMLD_HELPER_BINARY")
	if kamld == "" || helper == "" {
		t.Skip("KAMLD_BINARY and KAMLD_HELPER_BINARY name the binaries to package (make test-image sets them)")
	}
	dir := t.TempDir()
	o := options{kamld: kamld, helper: helper, version: "0.0.0-test", revision: "test", created: "2026-01-02T03:04:05Z",
		repo: "example.invalid/kamld", layoutDir: filepath.Join(dir, "layout"), tarPath: filepath.Join(dir, "image.tar")}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(o.layoutDir)
	must(t, err)
	idx, err := p.ImageIndex()
	must(t, err)
	im, err := idx.IndexManifest()
	must(t, err)
	img, err := idx.Image(im.Manifests[0].Digest)
	must(t, err)
	cf, err := img.ConfigFile()
	must(t, err)
	if cf.Config.User != "65532:65532" || cf.Config.Labels["org.opencontainers.image.version"] != "0.0.0-test" {
		t.Fatalf("config: user %q, labels %v", cf.Config.User, cf.Config.Labels)
	}
	m, err := img.Manifest()
	must(t, err)
	if m.Annotations["org.opencontainers.image.revision"] != "test" {
		t.Fatalf("manifest annotations: %v", m.Annotations)
	}

	root := filepath.Join(dir, "rootfs")
	unpack(t, mutate.Extract(img), root)
	for _, mp := range []string{"dev", "proc"} { // the container runtime's mount points
		must(t, os.MkdirAll(filepath.Join(root, mp), 0o755))
	}
	env := cf.Config.Env
	release, err := os.ReadFile(filepath.Join("..", "..", "VERSION"))
	must(t, err)
	out, err := inImage(t, root, env, cf.Config.Entrypoint, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "kamld "+strings.TrimSpace(string(release))+" ") {
		t.Fatalf("kamld version in the image: %v\n%s", err, out)
	}

	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	serve := inImage(t, root, append(env, "KAMLD_GRPC_ADDR="+grpcAddr, "KAMLD_HTTP_ADDR="+httpAddr, "KAMLD_IMPORT_SAMPLES=false"),
		cf.Config.Entrypoint, cf.Config.Cmd...)
	var log strings.Builder
	serve.Stdout, serve.Stderr = &log, &log
	must(t, serve.Start())
	t.Cleanup(func() { _ = serve.Process.Signal(os.Interrupt); _ = serve.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for !ready(t.Context(), "http://"+httpAddr+"/readyz") {
		if time.Now().After(deadline) {
			t.Fatalf("kamld serve in the image did not become ready:\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// inImage is a command that runs args in root the way a runtime runs the image: a private mount namespace,
// the root filesystem bound read-only, /dev and /proc from the host, tmpfs on /tmp and the data directory
// (the chart's volumes), then chroot as the image's user.
func inImage(t *testing.T, root string, env, entrypoint []string, args ...string) *exec.Cmd {
	t.Helper()
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		t.Skip("chroot (coreutils) is needed to run the image without a container runtime")
	}
	script := `set -e
R=$1; shift
mount --bind "$R" "$R"
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=0700,uid=65532,gid=65532 tmpfs "$R` + dataDir + `"
mount -o remount,bind,ro "$R"
cd "$R` + dataDir + `"
exec ` + chroot + ` --userspec=65532:65532 "$R" "$@"`
	argv := append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", root}, entrypoint...)
	cmd := exec.Command("unshare", append(argv, args...)...)
	cmd.Env = env // the image's environment only: the script names its host tools by path
	return cmd
}

// unpack writes a flattened image filesystem (mutate.Extract) into dir.
func unpack(t *testing.T, r io.ReadCloser, dir string) {
	t.Helper()
	defer r.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		must(t, err)
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			must(t, os.MkdirAll(p, 0o755))
			must(t, os.Chmod(p, tarMode(h)))
		case tar.TypeReg:
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, tarMode(h))
			must(t, err)
			_, err = io.Copy(f, tr)
			must(t, err)
			must(t, f.Close())
		default:
			t.Fatalf("%s: unexpected entry type %c", h.Name, h.Typeflag)
		}
		must(t, os.Lchown(p, h.Uid, h.Gid))
	}
}

func tarMode(h *tar.Header) os.FileMode {
	m := os.FileMode(h.Mode).Perm()
	if h.Mode&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

func ready(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
