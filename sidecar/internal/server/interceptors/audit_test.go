package interceptors

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/audit"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
)

// hidingDatasets answers GetDataset NOT_FOUND, marking the answer as an access-control denial when hide is
// set: what a service does for a dataset the caller may not read.
type hidingDatasets struct {
	kamldv1.UnimplementedDatasetServiceServer
	hide bool
}

func (h *hidingDatasets) GetDataset(ctx context.Context, req *kamldv1.GetDatasetRequest) (*kamldv1.Dataset, error) {
	if h.hide {
		audit.Denied(ctx, "")
	}
	return nil, apierr.New(codes.NotFound, kamldv1.ErrorReason_ERROR_REASON_NOT_FOUND, "%s not found", req.GetName())
}

// TestDeniedNotFoundIsAudited: a NOT_FOUND that hides a dataset (audit.Denied) is recorded with the dataset
// the request named; an ordinary NOT_FOUND of a read is not.
func TestDeniedNotFoundIsAudited(t *testing.T) {
	store, err := fs.New(t.TempDir())
	require.NoError(t, err)
	log := audit.New(store)
	tok, err := auth.LoadOrCreateToken(t.TempDir() + "/token")
	require.NoError(t, err)
	svc := &hidingDatasets{}
	gs := grpc.NewServer(ServerOptions(Options{Logger: slog.New(slog.DiscardHandler), Token: tok, DefaultIdentity: "dflt", Audit: log})...)
	kamldv1.RegisterDatasetServiceServer(gs, svc)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///x", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(); gs.Stop() })
	client := kamldv1.NewDatasetServiceClient(conn)
	ctx := metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok.Value(), "x-kamld-user", "eve"))

	_, err = client.GetDataset(ctx, &kamldv1.GetDatasetRequest{Name: "datasets/missing"})
	require.Equal(t, codes.NotFound, status.Code(err))
	svc.hide = true
	_, err = client.GetDataset(ctx, &kamldv1.GetDatasetRequest{Name: "datasets/secret"})
	require.Equal(t, codes.NotFound, status.Code(err))

	recs, _, err := log.List(context.Background(), audit.Query{PageSize: 10})
	require.NoError(t, err)
	require.Len(t, recs, 1, "only the hiding NOT_FOUND is a denial")
	assert.Equal(t, "secret", recs[0].Resource)
	assert.Equal(t, "eve", recs[0].Subject)
	assert.Equal(t, "NOT_FOUND", recs[0].Outcome)
	assert.Equal(t, "/kamld.v1.DatasetService/GetDataset", recs[0].Method)
}
