package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/compute/local"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/server"
	"github.com/kamld/kamld/sidecar/internal/testserver/minio"
	"github.com/kamld/kamld/sidecar/internal/wiring"
)

// sidecar is a real kamld server on loopback ports, with embedded backends in a temp dir. Its clients, conn
// and http, are followed by its audit check (audittrail_test.go): a test calls the sidecar through them.
type sidecar struct {
	conn    *grpc.ClientConn
	http    *http.Client
	baseURL string
	token   string
	calls   *callLog
}

func startSidecar(t *testing.T, mutate ...func(*config.Config)) *sidecar {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.TokenFile = filepath.Join(dir, "token")
	cfg.Blob.FS.Dir = filepath.Join(dir, "store")
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Shutdown = 2 * time.Second
	cfg.Samples = false   // a test that wants the sample datasets turns this on
	cfg.Audit.Mode = "on" // every API test writes the audit log, and its end checks it (callLog)
	for _, m := range mutate {
		m(&cfg)
	}
	require.NoError(t, cfg.Validate())
	tok, err := auth.LoadOrCreateToken(cfg.TokenFile)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	// Assembled as `kamld serve` assembles it.
	assembled, err := wiring.Assemble(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatalf("assemble: %v", err)
	}
	return runSidecar(t, ctx, cancel, cfg, tok, assembled, server.WithLogger(slog.New(slog.DiscardHandler)), server.WithDefaultIdentity("tester"), server.WithVerifier(assembled.ServerVerifier()), server.WithAudit(assembled.ServerAudit()), server.WithJobTokens(assembled.JobTokens))
}

// runSidecar serves srv until the test ends, then stops it and closes the backends.
func runSidecar(t *testing.T, ctx context.Context, cancel context.CancelFunc, cfg config.Config, tok auth.Token, assembled *wiring.Sidecar, opts ...server.Option) *sidecar {
	t.Helper()
	bound := make(chan server.Bound, 1)
	done := make(chan error, 1)
	srv, err := server.New(cfg, tok, assembled.Backends, assembled.Services, opts...)
	require.NoError(t, err)
	go func() { done <- srv.Run(ctx, func(b server.Bound) { bound <- b }) }()
	var b server.Bound
	select {
	case b = <-bound:
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	}
	calls := &callLog{store: assembled.Store}
	conn, err := grpc.NewClient(b.GRPCAddr, append(calls.dialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	t.Cleanup(func() {
		conn.Close()
		cancel()
		require.NoError(t, <-done)
		assert.NoError(t, assembled.Close())
	})
	// Registered after the shutdown, so it runs before it, on the running sidecar.
	t.Cleanup(func() { calls.check(t) })
	client := &http.Client{Transport: loggedTransport{l: calls, next: http.DefaultTransport}}
	return &sidecar{conn: conn, http: client, baseURL: b.HTTPURL, token: tok.Value(), calls: calls}
}

// authed returns a context carrying the token (and, optionally, an acting user).
func (s *sidecar) authed(kv ...string) context.Context {
	md := metadata.Pairs(append([]string{"authorization", "Bearer " + s.token}, kv...)...)
	return metadata.NewOutgoingContext(context.Background(), md)
}

// rest sends a request and returns the status and body.
func (s *sidecar) rest(t *testing.T, method, path, body string, header map[string]string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.baseURL+path, rd)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

func (s *sidecar) bearer() map[string]string {
	return map[string]string{"Authorization": "Bearer " + s.token}
}

func (s *sidecar) withToken(tok string) context.Context { return s.withAuthorization("Bearer " + tok) }

func (s *sidecar) withAuthorization(v string) context.Context {
	return metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", v))
}

// rawBytes and rawCodec send bytes as they are, to play a client that sends a malformed message.
type rawBytes []byte

type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if b, ok := v.(rawBytes); ok {
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	b, err := proto.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	return proto.Unmarshal(data.Materialize(), v.(proto.Message))
}

// allServices lists the kamld.v1 services from the generated descriptors.
func allServices() []protoreflect.ServiceDescriptor {
	var out []protoreflect.ServiceDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("kamld.v1", func(f protoreflect.FileDescriptor) bool {
		for i := 0; i < f.Services().Len(); i++ {
			out = append(out, f.Services().Get(i))
		}
		return true
	})
	return out
}

func hasHTTPRule(m protoreflect.MethodDescriptor) bool {
	return proto.HasExtension(m.Options(), annotations.E_Http)
}

// startSidecarOnMinIO runs a sidecar whose blob store is a real MinIO, returned so tests can stop it.
func startSidecarOnMinIO(t *testing.T) (*sidecar, *minio.Server) {
	t.Helper()
	srv := minio.Start(t)
	s := startSidecar(t, func(c *config.Config) {
		c.Blob.Backend = "s3"
		c.Blob.S3 = config.S3{Endpoint: srv.Endpoint, Bucket: "kamld", Region: "us-east-1", AccessKey: srv.AccessKey, SecretKey: config.Secret(srv.SecretKey)}
	})
	return s, srv
}

// TestMain lets the test binary be a local job's supervisor, as the kamld binary is.
func TestMain(m *testing.M) {
	local.MaybeSupervise()
	os.Exit(m.Run())
}
