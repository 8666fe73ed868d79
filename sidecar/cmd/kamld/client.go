package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// clientFlags say how the client subcommands reach a sidecar. Precedence: flags, then KAMLD_CONNECTION_FILE
// (the file the Jupyter server extension writes), then KAMLD_GRPC_ADDR / KAMLD_TOKEN_FILE, then the same
// defaults `kamld serve` uses.
type clientFlags struct {
	addr, tokenFile, user string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.addr, "addr", "", "sidecar gRPC address (env KAMLD_GRPC_ADDR; default 127.0.0.1:7070)")
	cmd.PersistentFlags().StringVar(&f.tokenFile, "token-file", "", "bearer token file (env KAMLD_TOKEN_FILE; default DATA_DIR/token)")
	cmd.PersistentFlags().StringVar(&f.user, "as", "", "identity to act for (sent as x-kamld-user)")
}

// client is a connection to a sidecar with the credentials every call needs.
type client struct {
	conn      *grpc.ClientConn
	md        metadata.MD
	datasets  kamldv1.DatasetServiceClient
	snapshots kamldv1.SnapshotServiceClient
	files     kamldv1.FileServiceClient
	branches  kamldv1.BranchServiceClient
	pipelines kamldv1.PipelineServiceClient
	batches   kamldv1.BatchUploadServiceClient
}

func (f *clientFlags) dial() (*client, error) {
	addr, token, err := f.resolve()
	if err != nil {
		return nil, err
	}
	network, address, err := config.SplitAddr(addr)
	if err != nil {
		return nil, err
	}
	target := address
	if network == "unix" {
		target = "unix:" + address
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return nil, err
	}
	md := metadata.Pairs("authorization", "Bearer "+token)
	if f.user != "" {
		md.Set("x-kamld-user", f.user)
	}
	return &client{conn: conn, md: md, datasets: kamldv1.NewDatasetServiceClient(conn),
		snapshots: kamldv1.NewSnapshotServiceClient(conn), files: kamldv1.NewFileServiceClient(conn),
		branches: kamldv1.NewBranchServiceClient(conn), pipelines: kamldv1.NewPipelineServiceClient(conn),
		batches: kamldv1.NewBatchUploadServiceClient(conn)}, nil
}

func (f *clientFlags) resolve() (addr, token string, err error) {
	addr, tokenFile := f.addr, f.tokenFile
	if cf := os.Getenv("KAMLD_CONNECTION_FILE"); cf != "" && (addr == "" || tokenFile == "") {
		var conn struct {
			GRPCAddr string `json:"grpc_addr"`
			Token    string `json:"token"`
		}
		b, err := os.ReadFile(cf)
		if err != nil {
			return "", "", fmt.Errorf("connection file: %w", err)
		}
		if err := json.Unmarshal(b, &conn); err != nil {
			return "", "", fmt.Errorf("connection file %s: %w", cf, err)
		}
		if addr == "" {
			addr = conn.GRPCAddr
		}
		if tokenFile == "" {
			return addr, conn.Token, nil
		}
	}
	if addr == "" {
		addr = envOr("KAMLD_GRPC_ADDR", config.Default().GRPCAddr)
	}
	if tokenFile == "" {
		tokenFile = envOr("KAMLD_TOKEN_FILE", filepath.Join(envOr("KAMLD_DATA_DIR", config.DefaultDataDir()), "token"))
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		return "", "", fmt.Errorf("token: %w (is the sidecar running? pass --token-file)", err)
	}
	return addr, strings.TrimSpace(string(b)), nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (c *client) ctx(parent context.Context) context.Context {
	return metadata.NewOutgoingContext(parent, c.md)
}

// explain turns an RPC error into one readable line with the offending fields.
func explain(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	return fmt.Errorf("%s: %s", st.Code(), st.Message())
}
