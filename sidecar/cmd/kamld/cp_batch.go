package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// A folder upload sends its small files in batches (BatchUploadService: one call and one draft change for
// many files) and its large ones one WriteFile stream each; batches and large files run `jobs` at a time.
const (
	batchFiles   = 1000     // files per batch
	batchBytes   = 32 << 20 // content bytes per batch
	batchMessage = 4 << 20  // content bytes per message of a batch stream, well under the server's limit
)

// localFile is a file of a folder upload.
type localFile struct {
	local, dst string
}

// uploadTree uploads every regular file under src to prefix+its relative path. A failed batch or file does
// not cancel the others in flight (each would then fail for no reason of its own); nothing new starts after
// a failure, and the error names every batch or file that failed. A batch is all or nothing.
func uploadTree(ctx context.Context, c *client, dataset, src, prefix string, jobs int) error {
	var g errgroup.Group
	g.SetLimit(max(1, jobs))
	var mu sync.Mutex
	var failed []error
	started, failedFiles := 0, 0
	run := func(files int, fn func() error) {
		g.Go(func() error {
			if err := fn(); err != nil {
				mu.Lock()
				failed = append(failed, err)
				failedFiles += files
				mu.Unlock()
			}
			return nil
		})
	}
	var batch []localFile
	var batchSize int64
	prehash, asked := false, false
	flush := func() {
		files := batch
		batch, batchSize = nil, 0
		started += len(files)
		run(len(files), func() error { return uploadBatch(ctx, c, dataset, files) })
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		mu.Lock()
		stop := len(failed) > 0
		mu.Unlock()
		if stop {
			return filepath.SkipAll
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := localFile{local: p, dst: prefix + filepath.ToSlash(rel)}
		if info.Size() > smallFile {
			if !asked {
				prehash, asked = hashFirst(ctx, c, info.Size()), true
			}
			started++
			run(1, func() error { return uploadFile(ctx, c, dataset, f.local, f.dst, prehash) })
			return nil
		}
		batch = append(batch, f)
		if batchSize += info.Size(); len(batch) >= batchFiles || batchSize >= batchBytes {
			flush()
		}
		return nil
	})
	if len(batch) > 0 && err == nil {
		flush()
	}
	_ = g.Wait()
	if len(failed) > 0 {
		err = errors.Join(err, fmt.Errorf("%d of the %d files started failed (a batch of small files is written whole or not at all; no more were started): %w", failedFiles, started, errors.Join(failed...)))
	}
	return err
}

// uploadBatch sends files as one batch, in messages of about batchMessage bytes. The sidecar writes all of
// them into the draft or none.
func uploadBatch(ctx context.Context, c *client, dataset string, files []localFile) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) error {
		return fmt.Errorf("a batch of %d files (%s … %s) → %s: %w", len(files), files[0].local, files[len(files)-1].local, dataset, err)
	}
	stream, err := c.batches.UploadFiles(c.ctx(ctx))
	if err != nil {
		return fail(explain(err))
	}
	msg := &kamldv1.UploadFilesRequest{Dataset: resource.DatasetName(dataset)}
	size := 0
	for _, f := range files {
		data, err := os.ReadFile(f.local)
		if err != nil {
			return fail(err) // cancels the stream: the sidecar writes nothing
		}
		if len(data) > smallFile {
			return fail(fmt.Errorf("%s grew to %d bytes while being uploaded", f.local, len(data)))
		}
		if size+len(data) > batchMessage && len(msg.Files) > 0 {
			if stream.Send(msg) != nil {
				break // the sidecar answered early: CloseAndRecv says why
			}
			msg, size = &kamldv1.UploadFilesRequest{}, 0
		}
		msg.Files = append(msg.Files, &kamldv1.BatchFile{Path: f.dst, Content: data})
		size += len(data)
	}
	if len(msg.Files) > 0 {
		_ = stream.Send(msg) // an early answer: CloseAndRecv says why
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		if bad := badFiles(err, files); bad != "" {
			return fail(fmt.Errorf("%w (%s)", explain(err), bad))
		}
		return fail(explain(err))
	}
	return nil
}

// badFiles names the local files a refused batch's field violations ("files[i].path") point at.
func badFiles(err error, files []localFile) string {
	st, _ := status.FromError(err)
	var out []string
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			var i int
			if _, err := fmt.Sscanf(v.GetField(), "files[%d]", &i); err == nil && i >= 0 && i < len(files) {
				out = append(out, files[i].local+": "+v.GetDescription())
			}
		}
	}
	return strings.Join(out, "; ")
}
