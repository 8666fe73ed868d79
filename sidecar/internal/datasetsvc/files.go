package datasetsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// MaxReadChunk is the most bytes one ReadFile message carries.
const MaxReadChunk = 1 << 20

// Files serves kamld.v1.FileService.
type Files struct {
	kamldv1.UnimplementedFileServiceServer
	engine *dataset.Engine
	chunk  int
}

// NewFiles returns the service over engine; ReadFile messages stay within maxMessage bytes.
func NewFiles(engine *dataset.Engine, maxMessage int) *Files {
	return &Files{engine: engine, chunk: ChunkFor(maxMessage, MaxReadChunk)}
}

// ChunkFor is the data size per message that fits messages of maxMessage bytes with room for the envelope.
func ChunkFor(maxMessage, most int) int { return max(512, min(most, maxMessage/2)) }

func checkRef(ref string) error {
	if _, err := resource.ParseRef(ref); err != nil {
		return apierr.InvalidArgument("ref", "%v", err)
	}
	return nil
}

// ListFiles implements kamld.v1.FileService.
func (s *Files) ListFiles(ctx context.Context, req *kamldv1.ListFilesRequest) (*kamldv1.ListFilesResponse, error) {
	id, err := resource.ParseScopedName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef()); err != nil {
		return nil, err
	}
	list, err := s.engine.ListFiles(ctx, id, req.GetRef(), dataset.ListFilesOptions{
		Prefix: req.GetPrefix(), Recursive: req.GetRecursive(), Filter: req.GetFilter(),
		Page: dataset.Page{Size: req.GetPageSize(), Token: req.GetPageToken()},
	})
	if err != nil {
		return nil, err
	}
	return &kamldv1.ListFilesResponse{
		Files: each(list.Files, toFileInfo), Folders: list.Folders,
		NextPageToken: list.NextToken, ResolvedSnapshot: resolvedName(id, list.Resolved),
	}, nil
}

// StatFile implements kamld.v1.FileService.
func (s *Files) StatFile(ctx context.Context, req *kamldv1.StatFileRequest) (*kamldv1.FileInfo, error) {
	id, err := resource.ParseScopedName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	if err := checkRef(req.GetRef()); err != nil {
		return nil, err
	}
	f, err := s.engine.StatFile(ctx, id, req.GetRef(), req.GetPath())
	if err != nil {
		return nil, err
	}
	return toFileInfo(f), nil
}

// ReadFile implements kamld.v1.FileService: the file's metadata goes in the response header, the bytes in
// chunks that fit the message limit, read from the store as they are sent.
func (s *Files) ReadFile(req *kamldv1.ReadFileRequest, stream grpc.ServerStreamingServer[httpbody.HttpBody]) error {
	ctx := stream.Context()
	id, err := resource.ParseScopedName("dataset", req.GetDataset())
	if err != nil {
		return err
	}
	if err := checkRef(req.GetRef()); err != nil {
		return err
	}
	if req.GetOffset() < 0 {
		return apierr.InvalidArgument("offset", "%d is negative", req.GetOffset())
	}
	if req.GetLength() < 0 {
		return apierr.InvalidArgument("length", "%d is negative", req.GetLength())
	}
	rc, info, err := s.engine.OpenFile(ctx, id, req.GetRef(), req.GetPath(), req.GetOffset(), req.GetLength())
	if err != nil {
		return err
	}
	defer rc.Close()
	n := info.Size - req.GetOffset()
	if l := req.GetLength(); l > 0 && l < n {
		n = l
	}
	md := metadata.Pairs("etag", info.ETag, "content-length", strconv.FormatInt(n, 10))
	if n < info.Size {
		md.Append("content-range", fmt.Sprintf("bytes %d-%d/%d", req.GetOffset(), req.GetOffset()+n-1, info.Size))
	}
	if err := stream.SendHeader(md); err != nil {
		return err
	}
	buf := make([]byte, s.chunk)
	first := true
	for {
		k, rerr := io.ReadFull(rc, buf)
		if k > 0 || first {
			msg := &httpbody.HttpBody{Data: buf[:k]}
			if first {
				msg.ContentType = info.MediaType
				first = false
			}
			if err := stream.Send(msg); err != nil {
				return err
			}
		}
		switch {
		case rerr == io.EOF || errors.Is(rerr, io.ErrUnexpectedEOF):
			return nil
		case rerr != nil:
			return rerr
		}
	}
}

// WriteFile implements kamld.v1.FileService: the header first, then the bytes, handed to the engine as a
// stream so the file is never held whole.
func (s *Files) WriteFile(stream grpc.ClientStreamingServer[kamldv1.WriteFileRequest, kamldv1.FileInfo]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	h := first.GetHeader()
	if h == nil {
		return apierr.InvalidArgument("header", "the first message must be the header")
	}
	id, err := resource.ParseScopedName("header.dataset", h.GetDataset())
	if err != nil {
		return err
	}
	info, err := s.engine.WriteFile(stream.Context(), id, h.GetPath(), &dataReader{stream: stream}, dataset.WriteOptions{
		MediaType: h.GetMediaType(), ExpectedDigest: h.GetExpectedDigest(), ExpectedSize: h.GetExpectedSize(),
		CreateOnly: h.GetCreateOnly(), IfMatch: h.GetIfMatch(),
	})
	if err != nil {
		return err
	}
	return stream.SendAndClose(toFileInfo(info))
}

// dataReader turns the data messages of a WriteFile stream into an io.Reader.
type dataReader struct {
	stream grpc.ClientStreamingServer[kamldv1.WriteFileRequest, kamldv1.FileInfo]
	rest   []byte
}

func (r *dataReader) Read(p []byte) (int, error) {
	for len(r.rest) == 0 {
		msg, err := r.stream.Recv()
		if err != nil {
			return 0, err // io.EOF ends the file; anything else aborts the write
		}
		if msg.GetHeader() != nil {
			return 0, apierr.InvalidArgument("header", "only the first message may be a header")
		}
		r.rest = msg.GetData()
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}

// DeleteFile implements kamld.v1.FileService.
func (s *Files) DeleteFile(ctx context.Context, req *kamldv1.DeleteFileRequest) (*emptypb.Empty, error) {
	id, err := resource.ParseScopedName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	if err := s.engine.DeleteFile(ctx, id, req.GetPath(), req.GetRecursive()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Limits of SignFileUrl's ttl (file.proto).
const (
	defaultSignTTL = 15 * time.Minute
	minSignTTL     = time.Minute
	maxSignTTL     = 7 * 24 * time.Hour
)

// SignFileUrl implements kamld.v1.FileService: stores that cannot presign answer UNIMPLEMENTED saying so.
func (s *Files) SignFileUrl(ctx context.Context, req *kamldv1.SignFileUrlRequest) (*kamldv1.SignFileUrlResponse, error) {
	id, err := resource.ParseScopedName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	ttl := defaultSignTTL
	if req.GetTtl() != nil {
		if ttl = req.GetTtl().AsDuration(); ttl < minSignTTL || ttl > maxSignTTL {
			return nil, apierr.InvalidArgument("ttl", "%s is outside 1 minute to 7 days", ttl)
		}
	}
	expires := timestamppb.New(time.Now().Add(ttl))
	switch req.GetMethod() {
	case http.MethodGet:
		if err := checkRef(req.GetRef()); err != nil {
			return nil, err
		}
		u, _, err := s.engine.SignDownload(ctx, id, req.GetRef(), req.GetPath(), ttl)
		if err != nil {
			return nil, presignError(err)
		}
		return &kamldv1.SignFileUrlResponse{Url: u, Method: http.MethodGet, ExpireTime: expires}, nil
	case http.MethodPut:
		if ref := req.GetRef(); ref != "" && ref != resource.DraftRef {
			return nil, apierr.InvalidArgument("ref", "uploads go into the draft; leave ref empty")
		}
		u, uploadID, err := s.engine.SignUpload(ctx, id, req.GetPath(), ttl)
		if err != nil {
			return nil, presignError(err)
		}
		return &kamldv1.SignFileUrlResponse{Url: u, Method: http.MethodPut, ExpireTime: expires, UploadId: uploadID}, nil
	default:
		return nil, apierr.InvalidArgument("method", "%q: want GET (download) or PUT (upload)", req.GetMethod())
	}
}

// CommitSignedUpload implements kamld.v1.FileService.
func (s *Files) CommitSignedUpload(ctx context.Context, req *kamldv1.CommitSignedUploadRequest) (*kamldv1.FileInfo, error) {
	id, err := resource.ParseScopedName("dataset", req.GetDataset())
	if err != nil {
		return nil, err
	}
	info, err := s.engine.CommitUpload(ctx, id, req.GetUploadId(), req.GetExpectedDigest())
	if err != nil {
		return nil, presignError(err)
	}
	return toFileInfo(info), nil
}

// presignError gives a store without presigned URLs its reason, PRESIGN_UNSUPPORTED; other errors pass.
func presignError(err error) error {
	var unsupported *dataset.PresignUnsupportedError
	if errors.As(err, &unsupported) {
		return apierr.New(codes.FailedPrecondition, kamldv1.ErrorReason_ERROR_REASON_PRESIGN_UNSUPPORTED, "%s", unsupported.Error())
	}
	return err
}
