package server

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/datasetsvc"
)

// batchRoute is the REST form of BatchUploadService.UploadFiles, which as a client stream has no gateway
// route: POST a tar archive (application/x-tar, or application/octet-stream) of the files; each regular file's name is its path in the
// draft (a leading "./" dropped), folders are skipped. The archive is read as it arrives and sent as one
// UploadFiles call over the gateway's connection, so the interceptor chain and the batch's rules (all or
// nothing) are the gRPC call's. The answer is UploadFilesResponse as JSON.
const batchRoute = "/v1/datasets/{dataset}/files:upload"

// batchMessage is the content bytes per UploadFiles message the route sends.
const batchMessage = 4 << 20

type rawBatches struct {
	batches kamldv1.BatchUploadServiceClient
	message int
}

func newRawBatches(conn *grpc.ClientConn, maxMessage int) *rawBatches {
	return &rawBatches{batches: kamldv1.NewBatchUploadServiceClient(conn), message: datasetsvc.ChunkFor(maxMessage, batchMessage)}
}

func (b *rawBatches) upload(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-tar" && mt != "application/octet-stream" {
		apierr.WriteStatus(w, apierr.Status(apierr.InvalidArgument("Content-Type", "%q: the body must be a tar archive (application/x-tar, or application/octet-stream)", r.Header.Get("Content-Type"))))
		return
	}
	ctx, cancel := context.WithCancel(callContext(w, r))
	defer cancel()
	stream, err := b.batches.UploadFiles(ctx)
	if err != nil {
		apierr.WriteStatus(w, status.Convert(err))
		return
	}
	if err := b.send(stream, "datasets/"+r.PathValue("dataset"), r.Body); err != nil {
		cancel() // a broken archive or body: abandon the batch, which leaves the draft as it was
		apierr.WriteStatus(w, apierr.Status(apierr.New(codes.InvalidArgument, kamldv1.ErrorReason_ERROR_REASON_UPLOAD_INCOMPLETE, "reading the tar archive: %v; nothing was written", err)))
		return
	}
	resp, err := stream.CloseAndRecv()
	answerJSON(w, resp, err)
}

// send turns the archive's files into UploadFiles messages of about b.message content bytes. A send error
// means the server already answered (CloseAndRecv returns why); only a broken archive is reported here.
func (b *rawBatches) send(stream grpc.ClientStreamingClient[kamldv1.UploadFilesRequest, kamldv1.UploadFilesResponse], name string, body io.Reader) error {
	msg := &kamldv1.UploadFilesRequest{Dataset: name}
	size := 0
	tr := tar.NewReader(body)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return errors.New(h.Name + " is neither a regular file nor a folder")
		}
		// A file over the batch limit is read one byte past it, so the service names it as too big.
		data, err := io.ReadAll(io.LimitReader(tr, dataset.MaxBatchFileBytes+1))
		if err != nil {
			return err
		}
		if size+len(data) > b.message && len(msg.Files) > 0 {
			if stream.Send(msg) != nil {
				return nil
			}
			msg, size = &kamldv1.UploadFilesRequest{}, 0
		}
		msg.Files = append(msg.Files, &kamldv1.BatchFile{Path: strings.TrimPrefix(h.Name, "./"), Content: data})
		size += len(data)
	}
	if len(msg.Files) > 0 || msg.Dataset != "" {
		_ = stream.Send(msg)
	}
	return nil
}
