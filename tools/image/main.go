// Command image builds kamld's OCI image without Docker: a layer of the Debian files the binaries need (the
// shared libraries `ldd` lists for kamld, CA certificates, a passwd entry for the non-root user, writable
// /tmp and data directory), a layer with kamld and kamld-job-helper, and the OCI annotations. It writes an
// OCI image layout directory and a tarball that `crane push` or any registry client can push.
//
//	go run ./image -kamld ../bin/kamld -helper ../bin/kamld-job-helper -version 0.1.0 -revision abc -layout ../dist/image -tar ../dist/kamld-image.tar
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// uid and gid of the image's user: not root, and the nonroot id distroless images use.
const uid, gid = 65532, 65532

const (
	dataDir = "/var/lib/kamld"
	binDir  = "/usr/local/bin"
)

type options struct {
	kamld, helper, version, revision, created, repo, layoutDir, tarPath string
}

func main() {
	var o options
	flag.StringVar(&o.kamld, "kamld", "bin/kamld", "kamld binary (linux, the image's architecture)")
	flag.StringVar(&o.helper, "helper", "bin/kamld-job-helper", "static kamld-job-helper binary")
	flag.StringVar(&o.version, "version", "", "image version (the VERSION file)")
	flag.StringVar(&o.revision, "revision", "", "source commit")
	flag.StringVar(&o.created, "created", "", "creation time, RFC 3339 (default now; set it for reproducible builds)")
	flag.StringVar(&o.repo, "repo", "ghcr.io/kamld/kamld", "repository the tarball's tag names")
	flag.StringVar(&o.layoutDir, "layout", "", "write an OCI image layout to this directory")
	flag.StringVar(&o.tarPath, "tar", "", "write an image tarball to this file")
	flag.Parse()
	if err := run(o); err != nil {
		log.Fatalf("image: %v", err)
	}
}

func run(o options) error {
	if o.version == "" || (o.layoutDir == "" && o.tarPath == "") {
		return fmt.Errorf("-version and one of -layout or -tar are required")
	}
	created := time.Now().UTC()
	if o.created != "" {
		t, err := time.Parse(time.RFC3339, o.created)
		if err != nil {
			return fmt.Errorf("-created: %w", err)
		}
		created = t
	}
	img, err := build(o, created)
	if err != nil {
		return err
	}
	if o.layoutDir != "" {
		if err := os.RemoveAll(o.layoutDir); err != nil {
			return err
		}
		p, err := layout.Write(o.layoutDir, empty.Index)
		if err != nil {
			return err
		}
		if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
			"org.opencontainers.image.ref.name": o.version,
		})); err != nil {
			return err
		}
	}
	if o.tarPath != "" {
		tag, err := name.NewTag(o.repo + ":" + o.version)
		if err != nil {
			return err
		}
		if err := tarball.WriteToFile(o.tarPath, tag, img); err != nil {
			return err
		}
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("kamld image %s %s\n", o.version, d)
	return nil
}

// build assembles the image: base files, binaries, config and annotations.
func build(o options, created time.Time) (v1.Image, error) {
	base, err := baseLayer(o.kamld)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	bins, err := binaryLayer(o.kamld, o.helper)
	if err != nil {
		return nil, fmt.Errorf("binaries: %w", err)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), base, bins)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	labels := annotations(o, created)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = "amd64", "linux", v1.Time{Time: created}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", uid, gid),
		Entrypoint: []string{binDir + "/kamld"},
		Cmd:        []string{"serve"},
		WorkingDir: dataDir,
		Env:        []string{"PATH=" + binDir + ":/usr/bin:/bin", "HOME=" + dataDir, "TMPDIR=/tmp", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		Labels:     labels,
		ExposedPorts: map[string]struct{}{
			"7070/tcp": {}, "7080/tcp": {},
		},
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, labels).(v1.Image), nil
}

// annotations are the OCI pre-defined annotation keys, as manifest annotations and config labels.
func annotations(o options, created time.Time) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "kamld",
		"org.opencontainers.image.description": "kamld sidecar (datasets, search, SQL, jobs) and the Kubernetes jobs' kamld-job-helper",
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.revision,
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
		"org.opencontainers.image.source":      "https://github.com/kamld/kamld",
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.vendor":      "kamld",
	}
}
