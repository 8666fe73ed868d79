// Command grpc-client shows how another service calls kamld over gRPC: dial, send the bearer token (and,
// optionally, the user it acts for) as metadata, call. Run it against a sidecar:
//
//	go run ./examples/grpc-client -addr 127.0.0.1:7070 -token-file ~/.local/share/kamld/token
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7070", "kamld gRPC address")
	tokenFile := flag.String("token-file", os.ExpandEnv("$HOME/.local/share/kamld/token"), "file holding the bearer token")
	user := flag.String("user", "", "identity to act for (optional)")
	flag.Parse()

	token, err := os.ReadFile(*tokenFile)
	if err != nil {
		log.Fatal(err)
	}
	// kamld listens on loopback or a Unix socket; put TLS in front of it (or use a service mesh) across hosts.
	conn, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	md := metadata.Pairs("authorization", "Bearer "+strings.TrimSpace(string(token)))
	if *user != "" {
		md.Append("x-kamld-user", *user)
	}
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), 5*time.Second)
	defer cancel()

	info, err := kamldv1.NewSystemServiceClient(conn).GetInfo(ctx, &kamldv1.GetInfoRequest{})
	if err != nil {
		st := status.Convert(err) // every kamld error is a google.rpc.Status with details
		log.Fatalf("GetInfo: %s: %s %v", st.Code(), st.Message(), st.Details())
	}
	fmt.Printf("kamld %s, acting as %s\n", info.GetVersion(), info.GetIdentity())
	for _, b := range info.GetBackends() {
		fmt.Printf("  %-8s %-14s %s %s\n", b.GetCapability(), b.GetBackend(), b.GetHealth(), b.GetMessage())
	}
}
