package datasetsvc

import (
	"errors"
	"io"

	"google.golang.org/grpc"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// BatchUploads serves kamld.v1.BatchUploadService.
type BatchUploads struct {
	kamldv1.UnimplementedBatchUploadServiceServer
	engine *dataset.Engine
}

// NewBatchUploads returns the service over engine.
func NewBatchUploads(engine *dataset.Engine) *BatchUploads { return &BatchUploads{engine: engine} }

// UploadFiles implements kamld.v1.BatchUploadService: the messages' files go into one dataset.Batch as they
// arrive (contents stored meanwhile), and the batch is committed as one draft change at the end of the
// stream. Any error before the commit leaves the draft untouched.
func (s *BatchUploads) UploadFiles(stream grpc.ClientStreamingServer[kamldv1.UploadFilesRequest, kamldv1.UploadFilesResponse]) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return apierr.InvalidArgument("dataset", "the stream has no message; the first names the dataset")
	}
	if err != nil {
		return err
	}
	name := first.GetDataset()
	id, err := resource.ParseScopedName("dataset", name)
	if err != nil {
		return err
	}
	b, err := s.engine.NewBatch(ctx, id)
	if err != nil {
		return err
	}
	for msg := first; ; {
		if d := msg.GetDataset(); d != "" && d != name {
			b.Wait()
			return apierr.InvalidArgument("dataset", "%q differs from the first message's %q; one stream writes one draft", d, name)
		}
		b.Add(toBatchFiles(msg.GetFiles())...)
		if msg, err = stream.Recv(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			b.Wait()
			return err
		}
	}
	infos, err := b.Commit(ctx)
	if err != nil {
		return err
	}
	out := &kamldv1.UploadFilesResponse{Files: make([]*kamldv1.FileInfo, len(infos))}
	for i, f := range infos {
		out.Files[i] = toFileInfo(f)
	}
	return stream.SendAndClose(out)
}

func toBatchFiles(files []*kamldv1.BatchFile) []dataset.BatchFile {
	out := make([]dataset.BatchFile, len(files))
	for i, f := range files {
		out[i] = dataset.BatchFile{Path: f.GetPath(), Content: f.GetContent(), ExpectedDigest: f.GetExpectedDigest(), MediaType: f.GetMediaType()}
	}
	return out
}
