package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

const copyChunk = 1 << 20

// smallFile is the size up to which an upload is read whole and sent with its digest (see sendSmall).
const smallFile = copyChunk

func newCopyCommand(f *clientFlags) *cobra.Command {
	var recursive bool
	var jobs int
	cmd := &cobra.Command{
		Use:   "cp SRC DST",
		Short: "Copy files between local paths and datasets (DATASET[@REF]/PATH); uploads go into the draft",
		Long: "An argument is a local path when it exists locally or starts with '/', './' or '../'; otherwise it is\n" +
			"a dataset path. Uploads write into the dataset's draft (take a snapshot afterwards); downloads read\n" +
			"one consistent ref. A path ending in '/' is a folder.",
		Example: "  kamld cp train.csv iris/data/train.csv\n  kamld cp -r ./images iris/images/\n  kamld cp iris@v3/data/train.csv ./train.csv\n  kamld cp -r iris@v3/images/ ./images",
		Args:    cobra.ExactArgs(2),
		RunE: run(f, func(cmd *cobra.Command, c *client, args []string) error {
			src, dst := args[0], args[1]
			switch {
			case isLocal(src) && !isLocal(dst):
				to, err := parseShort("DST", dst)
				if err != nil {
					return err
				}
				if k := to.Ref.Kind; k != resource.RefLatest && k != resource.RefDraft {
					return fmt.Errorf("DST %q: uploads go into a draft (the dataset's, or a branch's: @<branch>~draft); drop the @%s", dst, to.Ref)
				}
				if to.Ref.Value != "" { // "iris@exp~draft/…": branch exp's draft
					to.Dataset += "@" + to.Ref.Value
				}
				return upload(cmd, c, src, to, recursive, jobs)
			case !isLocal(src) && isLocal(dst):
				from, err := parseShort("SRC", src)
				if err != nil {
					return err
				}
				return download(cmd, c, from, dst, recursive, jobs)
			default:
				return fmt.Errorf("one of SRC and DST must be local and the other a dataset path (see --help)")
			}
		}),
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "copy folders")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 8, "files copied in parallel")
	return cmd
}

func isLocal(p string) bool {
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || p == "." {
		return true
	}
	_, err := os.Stat(p)
	return err == nil
}

func upload(cmd *cobra.Command, c *client, src string, to resource.ShortRef, recursive bool, jobs int) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		dst := to.Path
		if dst == "" || strings.HasSuffix(dst, "/") {
			dst += filepath.Base(src)
		}
		return uploadFile(cmd.Context(), c, to.Dataset, src, dst, hashFirst(cmd.Context(), c, st.Size()))
	}
	if !recursive {
		return fmt.Errorf("%s is a folder: use -r", src)
	}
	prefix := to.Path
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return uploadTree(cmd.Context(), c, to.Dataset, src, prefix, jobs)
}

// hashFirst reports whether a file of size bytes is best hashed here before it is sent: when its digest
// arrives with it, the sidecar writes the bytes once, straight to their content address. A store that
// renames (the local one) gets there in one write anyway, so only other stores (S3) are worth the extra
// local read.
func hashFirst(ctx context.Context, c *client, size int64) bool {
	if size <= smallFile {
		return false
	}
	info, err := kamldv1.NewSystemServiceClient(c.conn).GetInfo(c.ctx(ctx), &kamldv1.GetInfoRequest{})
	if err != nil {
		return false
	}
	for _, b := range info.GetBackends() {
		if b.GetCapability() == "blob" {
			return b.GetBackend() != "fs"
		}
	}
	return false
}

// uploadFile sends one file; with prehash, a large one's digest is computed first and sent in the header.
func uploadFile(ctx context.Context, c *client, dataset, local, dst string, prehash bool) error {
	f, err := os.Open(local)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	stream, err := c.files.WriteFile(c.ctx(ctx))
	if err != nil {
		return err
	}
	header := &kamldv1.WriteFileHeader{Dataset: resource.DatasetName(dataset), Path: dst, ExpectedSize: st.Size()}
	if st.Size() <= smallFile {
		return sendSmall(stream, f, header, local)
	}
	if prehash {
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return fmt.Errorf("%s: %w", local, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("%s: %w", local, err)
		}
		header.ExpectedDigest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	if err := stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Header{Header: header}}); err == nil {
		buf := make([]byte, copyChunk)
		for {
			n, rerr := io.ReadFull(f, buf)
			if n > 0 {
				if stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Data{Data: buf[:n]}}) != nil {
					break // the server answered early; CloseAndRecv says why
				}
			}
			if rerr == io.EOF || errors.Is(rerr, io.ErrUnexpectedEOF) {
				break
			}
			if rerr != nil {
				return fmt.Errorf("%s: %w", local, rerr)
			}
		}
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		return fmt.Errorf("%s → %s/%s: %w", local, dataset, dst, explain(err))
	}
	return nil
}

// sendSmall sends a small file in one message with its digest: the sidecar then stores it at its content
// address directly instead of staging it first (one file write and fsync fewer per file), and still checks
// the bytes against the digest and size (docs/architecture.md, ingest).
func sendSmall(stream grpc.ClientStreamingClient[kamldv1.WriteFileRequest, kamldv1.FileInfo], f *os.File, header *kamldv1.WriteFileHeader, local string) error {
	data, err := io.ReadAll(io.LimitReader(f, smallFile+1))
	if err != nil {
		return fmt.Errorf("%s: %w", local, err)
	}
	if int64(len(data)) != header.ExpectedSize {
		return fmt.Errorf("%s changed while being read (%d bytes, then %d)", local, header.ExpectedSize, len(data))
	}
	sum := sha256.Sum256(data)
	header.ExpectedDigest = "sha256:" + hex.EncodeToString(sum[:])
	if err := stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Header{Header: header}}); err == nil && len(data) > 0 {
		_ = stream.Send(&kamldv1.WriteFileRequest{Part: &kamldv1.WriteFileRequest_Data{Data: data}}) // an early answer: CloseAndRecv says why
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		return fmt.Errorf("%s → %s/%s: %w", local, header.GetDataset(), header.GetPath(), explain(err))
	}
	return nil
}

func download(cmd *cobra.Command, c *client, from resource.ShortRef, dst string, recursive bool, jobs int) error {
	ref := from.Ref.String()
	if from.Path != "" && !strings.HasSuffix(from.Path, "/") {
		target := dst
		if st, err := os.Stat(dst); err == nil && st.IsDir() {
			target = filepath.Join(dst, path.Base(from.Path))
		}
		return downloadFile(cmd.Context(), c, from.Dataset, ref, from.Path, target)
	}
	if !recursive {
		return fmt.Errorf("%s is a folder: use -r", from)
	}
	files, pinned, err := listAll(cmd.Context(), c, from.Dataset, ref, from.Path)
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(cmd.Context())
	g.SetLimit(max(1, jobs))
	for _, p := range files {
		target := filepath.Join(dst, filepath.FromSlash(strings.TrimPrefix(p, from.Path)))
		g.Go(func() error { return downloadFile(ctx, c, from.Dataset, pinned, p, target) })
	}
	return g.Wait()
}

// listAll lists every file under prefix and returns the ref it resolved to, so that a folder download reads
// one snapshot even if a new one is taken meanwhile.
func listAll(ctx context.Context, c *client, dataset, ref, prefix string) (paths []string, pinned string, err error) {
	req := &kamldv1.ListFilesRequest{Dataset: resource.DatasetName(dataset), Ref: ref, Prefix: prefix, Recursive: true, PageSize: 1000}
	for {
		resp, err := c.files.ListFiles(c.ctx(ctx), req)
		if err != nil {
			return nil, "", err
		}
		if req.Ref == "" || req.Ref != resource.DraftRef {
			req.Ref = path.Base(resp.GetResolvedSnapshot())
		}
		for _, f := range resp.GetFiles() {
			paths = append(paths, f.GetPath())
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return paths, req.Ref, nil
		}
	}
}

// downloadFile writes to a temporary file beside the target and renames it, so a broken download leaves no
// partial file under the real name.
func downloadFile(ctx context.Context, c *client, dataset, ref, p, target string) error {
	stream, err := c.files.ReadFile(c.ctx(ctx), &kamldv1.ReadFileRequest{Dataset: resource.DatasetName(dataset), Path: p, Ref: ref})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".kamld-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tmp.Close()
			return fmt.Errorf("%s/%s: %w", dataset, p, explain(err))
		}
		if _, err := tmp.Write(msg.GetData()); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}
