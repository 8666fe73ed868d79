package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/wiring"
)

// The access-control suite (docs/security.md, "Access control"): the same rules checked over gRPC and REST,
// on a shared-mode sidecar whose users are service tokens. Run on the embedded backends here and on MinIO +
// Elasticsearch + Trino in access_backends_test.go.

// Users of the suite: alice and carol are in group ml, bob in bio, root in the platform admin group.
var accessUsers = map[string]string{
	"alice": "alice-access-token-0123456789",
	"bob":   "bob-access-token-0123456789",
	"carol": "carol-access-token-0123456789",
	"root":  "root-access-token-0123456789",
}

// startAccessSidecar runs a shared-mode sidecar with the suite's users, plus whatever mutate changes.
func startAccessSidecar(t *testing.T, mutate ...func(*config.Config)) *sidecar {
	t.Helper()
	path := filepath.Join(t.TempDir(), "service-tokens.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
- {name: alice, groups: [ml], token: `+accessUsers["alice"]+`}
- {name: bob, groups: [bio], token: `+accessUsers["bob"]+`}
- {name: carol, groups: [ml], token: `+accessUsers["carol"]+`}
- {name: root, groups: [platform-admins], token: `+accessUsers["root"]+`}
`), 0o600))
	return startSidecar(t, append([]func(*config.Config){func(c *config.Config) {
		c.Auth.Mode, c.Auth.ServiceTokensFile, c.Auth.AdminGroups = config.ModeShared, path, []string{"platform-admins"}
		c.Compute.Local.RunAs = ownUser()
	}}, mutate...)...)
}

// ownUser is this process's uid:gid. Shared mode needs compute.local.run_as; a test cannot switch users, so
// it names its own (which isolates nothing: see docs/security.md).
func ownUser() string { return fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()) }

// user is one caller of the suite, over both transports.
type user struct {
	s    *sidecar
	name string
}

func (u user) ctx() context.Context { return u.s.withToken(accessUsers[u.name]) }

func (u user) rest(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	code, resp, _ := u.s.rest(t, method, path, body, map[string]string{"Authorization": "Bearer " + accessUsers[u.name]})
	return code, resp
}

func (u user) write(t *testing.T, ds, path, content string) (int, string) {
	t.Helper()
	return u.rest(t, "PUT", "/v1/datasets/"+ds+"/content/"+path, content)
}

func (u user) get(ds string) error {
	_, err := kamldv1.NewDatasetServiceClient(u.s.conn).GetDataset(u.ctx(), &kamldv1.GetDatasetRequest{Name: "datasets/" + ds})
	return err
}

func (u user) list(t *testing.T, filter string) []string {
	t.Helper()
	res, err := kamldv1.NewDatasetServiceClient(u.s.conn).ListDatasets(u.ctx(), &kamldv1.ListDatasetsRequest{Access: filter})
	require.NoError(t, err)
	var out []string
	for _, d := range res.GetDatasets() {
		out = append(out, strings.TrimPrefix(d.GetName(), "datasets/"))
	}
	return out
}

// search returns the matching dataset ids, the total and the owner facet's values.
func (u user) search(t *testing.T, q string) ([]string, int64, []string) {
	t.Helper()
	res, err := kamldv1.NewSearchServiceClient(u.s.conn).SearchDatasets(u.ctx(), &kamldv1.SearchDatasetsRequest{Query: q, OrderBy: "name", Facets: []string{"owner"}})
	require.NoError(t, err)
	var ids, owners []string
	for _, r := range res.GetResults() {
		ids = append(ids, strings.TrimPrefix(r.GetDataset().GetName(), "datasets/"))
	}
	for _, f := range res.GetFacets() {
		for _, v := range f.GetValues() {
			owners = append(owners, v.GetValue())
		}
	}
	return ids, res.GetTotalSize(), owners
}

// sql runs a statement over gRPC and returns its error (nil when the first message arrives).
func (u user) sql(stmt string) error {
	stream, err := kamldv1.NewQueryServiceClient(u.s.conn).ExecuteQuery(u.ctx(), &kamldv1.ExecuteQueryRequest{Sql: stmt})
	if err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}

// flightSQL runs a statement's GetFlightInfo over Arrow Flight SQL and returns its error.
func (u user) flightSQL(stmt string) error {
	c := &flightsql.Client{Client: flight.NewClientFromConn(u.s.conn, nil)}
	_, err := c.Execute(u.ctx(), stmt)
	return err
}

func (u user) setAccess(acc *kamldv1.DatasetAccess) (*kamldv1.DatasetAccess, error) {
	return kamldv1.NewAccessServiceClient(u.s.conn).SetAccess(u.ctx(), &kamldv1.SetAccessRequest{Access: acc})
}

func (u user) access(t *testing.T, ds string) *kamldv1.DatasetAccess {
	t.Helper()
	a, err := kamldv1.NewAccessServiceClient(u.s.conn).GetAccess(u.ctx(), &kamldv1.GetAccessRequest{Name: "datasets/" + ds + "/access"})
	require.NoError(t, err)
	return a
}

// create makes a dataset with one CSV file and snapshot v1, as u.
func (u user) create(t *testing.T, ds, visibility string) {
	t.Helper()
	code, body := u.rest(t, "POST", "/v1/datasets?datasetId="+ds+"&visibility="+visibility, `{"description":"`+ds+` data"}`)
	require.Equal(t, http.StatusOK, code, body)
	code, body = u.write(t, ds, "t.csv", "k,v\na,1\nb,2\n")
	require.Equal(t, http.StatusOK, code, body)
	_, err := kamldv1.NewSnapshotServiceClient(u.s.conn).CreateSnapshot(u.ctx(), &kamldv1.CreateSnapshotRequest{Parent: "datasets/" + ds})
	require.NoError(t, err)
}

// requireInvisible: ds answers to u exactly as a dataset that does not exist, on every surface.
func requireInvisible(t *testing.T, u user, ds string) {
	t.Helper()
	missingErr, err := u.get("no-such-dataset"), u.get(ds)
	require.Equal(t, codes.NotFound, status.Code(err), "%s GetDataset %s: %v", u.name, ds, err)
	assert.Equal(t, grpcReason(t, missingErr), grpcReason(t, err))
	assert.Equal(t, strings.Replace(status.Convert(missingErr).Message(), "no-such-dataset", ds, 1), status.Convert(err).Message())
	for _, path := range []string{"/v1/datasets/" + ds, "/v1/datasets/" + ds + "/files", "/v1/datasets/" + ds + "/content/t.csv",
		"/v1/datasets/" + ds + "/snapshots", "/v1/datasets/" + ds + "/access", "/v1/datasets/" + ds + "/tags"} {
		code, body := u.rest(t, "GET", path, "")
		assert.Equal(t, http.StatusNotFound, code, "%s GET %s: %s", u.name, path, body)
	}
	assert.NotContains(t, u.list(t, ""), ds)
	ids, total, owners := u.search(t, ds)
	assert.NotContains(t, ids, ds)
	assert.EqualValues(t, len(ids), total, "the total counts only readable datasets")
	_ = owners
	err = u.sql(`SELECT * FROM ` + ds)
	assert.Equal(t, "DATASET_NOT_FOUND", grpcReason(t, err), "%v", err)
	err, missingErr = u.sql(`SELECT * FROM "`+ds+`@v1".t`), u.sql(`SELECT * FROM "no-such-dataset@v1".t`)
	assert.Equal(t, status.Code(missingErr), status.Code(err))
	err, missingErr = u.flightSQL(`SELECT * FROM `+ds), u.flightSQL(`SELECT * FROM no_such_dataset`)
	assert.Equal(t, codes.NotFound, status.Code(err), "Flight SQL: %v", err)
	assert.Equal(t, grpcReason(t, missingErr), grpcReason(t, err))
	body, _ := json.Marshal(map[string]string{"sql": `SELECT * FROM ` + ds})
	code, resp := u.rest(t, "POST", "/v1/queries:execute", string(body))
	assert.Equal(t, http.StatusNotFound, code, resp)
	code, resp = u.write(t, ds, "x.csv", "x\n")
	assert.Equal(t, http.StatusNotFound, code, "a write to an invisible dataset: %s", resp)
}

func requireReadOnly(t *testing.T, u user, ds string) {
	t.Helper()
	require.NoError(t, u.get(ds))
	code, body := u.rest(t, "GET", "/v1/datasets/"+ds+"/content/t.csv", "")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, "k,v\na,1\nb,2\n", body)
	require.NoError(t, u.sql(`SELECT * FROM "`+ds+`@v1".t`))
	require.NoError(t, u.flightSQL(`SELECT * FROM "`+ds+`@v1".t`))
	ids, _, _ := u.search(t, ds)
	assert.Contains(t, ids, ds)
	code, body = u.write(t, ds, "x.csv", "x\n")
	assert.Equal(t, http.StatusForbidden, code, body)
	assert.Equal(t, "PERMISSION_DENIED", restReason(t, body))
	assert.Contains(t, body, "reader", "the message says what the caller is")
	_, err := kamldv1.NewSnapshotServiceClient(u.s.conn).CreateSnapshot(u.ctx(), &kamldv1.CreateSnapshotRequest{Parent: "datasets/" + ds})
	assert.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
	_, err = u.setAccess(&kamldv1.DatasetAccess{Name: "datasets/" + ds + "/access", Visibility: "public"})
	assert.Equal(t, codes.PermissionDenied, status.Code(err), "a reader cannot share: %v", err)
}

// runAccessSuite is the suite proper, on a sidecar from startAccessSidecar.
func runAccessSuite(t *testing.T, s *sidecar) {
	alice, bob, carol, root := user{s, "alice"}, user{s, "bob"}, user{s, "carol"}, user{s, "root"}
	alice.create(t, "vault", "private")
	bob.create(t, "bobs", "private")

	t.Run("PrivateIsInvisible", func(t *testing.T) {
		requireInvisible(t, bob, "vault")
		requireInvisible(t, carol, "vault")
		ids, total, owners := bob.search(t, "")
		assert.Equal(t, []string{"bobs"}, ids)
		assert.EqualValues(t, 1, total)
		assert.Equal(t, []string{"bob"}, owners, "facets count only readable datasets")
		_, err := bob.setAccess(&kamldv1.DatasetAccess{Name: "datasets/vault/access", Visibility: "public"})
		assert.Equal(t, codes.NotFound, status.Code(err), "a stranger cannot even see the policy: %v", err)
	})

	t.Run("AdminSeesAll", func(t *testing.T) {
		require.NoError(t, root.get("vault"))
		assert.ElementsMatch(t, []string{"bobs", "vault"}, root.list(t, ""))
		ids, _, _ := root.search(t, "")
		assert.Equal(t, []string{"bobs", "vault"}, ids)
	})

	t.Run("ShareAsReader", func(t *testing.T) {
		acc := alice.access(t, "vault")
		assert.Equal(t, "admin", acc.GetYourRole())
		assert.Equal(t, "private", acc.GetVisibility())
		code, body := alice.rest(t, "PUT", "/v1/datasets/vault/access",
			`{"visibility":"private","etag":"`+acc.GetEtag()+`","grants":[{"kind":"user","name":"bob","role":"reader"}]}`)
		require.Equal(t, http.StatusOK, code, body)
		assert.Contains(t, body, `"owner":"alice"`)
		requireReadOnly(t, bob, "vault")
		assert.Equal(t, []string{"vault"}, bob.list(t, "shared"))
		assert.Equal(t, []string{"bobs"}, bob.list(t, "mine"))
		assert.Equal(t, "reader", bob.access(t, "vault").GetYourRole())
	})

	t.Run("StaleEtagAndBadGrants", func(t *testing.T) {
		_, err := alice.setAccess(&kamldv1.DatasetAccess{Name: "datasets/vault/access", Visibility: "private", Etag: "stale"})
		assert.Equal(t, codes.Aborted, status.Code(err), "%v", err)
		code, body := alice.rest(t, "PUT", "/v1/datasets/vault/access",
			`{"visibility":"world","grants":[{"kind":"team","name":"x","role":"reader"},{"kind":"user","name":"bob","role":"owner"}]}`)
		require.Equal(t, http.StatusBadRequest, code, body)
		for _, field := range []string{"access.visibility", "access.grants[0].kind", "access.grants[1].role"} {
			assert.Contains(t, body, `"field":"`+field+`"`)
		}
		assert.Equal(t, "reader", bob.access(t, "vault").GetGrants()[0].GetRole(), "a refused change changed nothing")
	})

	t.Run("GroupGrantWrites", func(t *testing.T) {
		acc := alice.access(t, "vault")
		acc.Grants = append(acc.Grants, &kamldv1.AccessGrant{Kind: "group", Name: "ml", Role: "writer"})
		_, err := alice.setAccess(acc)
		require.NoError(t, err)
		code, body := carol.write(t, "vault", "carol.csv", "k\nc\n")
		require.Equal(t, http.StatusOK, code, body)
		_, err = kamldv1.NewDatasetServiceClient(s.conn).DeleteDataset(carol.ctx(), &kamldv1.DeleteDatasetRequest{Name: "datasets/vault"})
		assert.Equal(t, codes.PermissionDenied, status.Code(err), "a writer does not delete: %v", err)
		_, err = carol.setAccess(&kamldv1.DatasetAccess{Name: "datasets/vault/access", Visibility: "public"})
		assert.Equal(t, codes.PermissionDenied, status.Code(err), "a writer does not share: %v", err)
	})

	t.Run("InternalAndPublic", func(t *testing.T) {
		alice.create(t, "team", "internal")
		requireReadOnly(t, bob, "team")
		alice.create(t, "world", "public")
		requireReadOnly(t, bob, "world")
	})

	t.Run("AuditTable", func(t *testing.T) {
		var n []any
		stream, err := kamldv1.NewQueryServiceClient(s.conn).ExecuteQuery(root.ctx(), &kamldv1.ExecuteQueryRequest{
			Sql: `SELECT count(*) AS n FROM kamld_audit WHERE subject = 'bob' AND dataset = 'vault' AND outcome = 'NOT_FOUND'`})
		require.NoError(t, err)
		for msg, err := stream.Recv(); err == nil; msg, err = stream.Recv() {
			if rows := msg.GetBatch().GetRows(); len(rows) > 0 {
				n = rows[0].AsSlice()
			}
		}
		require.Len(t, n, 1)
		assert.Greater(t, n[0], 10.0, "an admin reads, in SQL, that bob was refused vault on every surface")
		assert.Equal(t, "DATASET_NOT_FOUND", grpcReason(t, bob.sql(`SELECT * FROM kamld_audit`)), "others: as a dataset that does not exist")
	})

	t.Run("Jobs", func(t *testing.T) {
		jc := kamldv1.NewJobServiceClient(s.conn)
		spec := &kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Inputs: []*kamldv1.JobInput{{Ref: "bobs@v1", Path: "in"}}}
		_, err := jc.SubmitJob(carol.ctx(), &kamldv1.SubmitJobRequest{Job: spec})
		assert.Equal(t, codes.NotFound, status.Code(err), "an input the submitter cannot read: %v", err)
		spec = &kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Outputs: []*kamldv1.JobOutput{{Path: "out", Dataset: "datasets/team"}}}
		_, err = jc.SubmitJob(bob.ctx(), &kamldv1.SubmitJobRequest{Job: spec})
		assert.Equal(t, codes.PermissionDenied, status.Code(err), "an output the submitter cannot write: %v", err)

		j, err := jc.SubmitJob(alice.ctx(), &kamldv1.SubmitJobRequest{Job: &kamldv1.Job{Flavor: "cpu", Command: []string{"sleep", "60"}}})
		require.NoError(t, err)
		_, err = jc.GetJob(bob.ctx(), &kamldv1.GetJobRequest{Name: j.GetName()})
		assert.Equal(t, codes.NotFound, status.Code(err), "another user's job: %v", err)
		code, body := bob.rest(t, "GET", "/v1/"+j.GetName(), "")
		assert.Equal(t, http.StatusNotFound, code, body)
		code, body = bob.rest(t, "GET", "/v1/jobs", "")
		require.Equal(t, http.StatusOK, code, body)
		assert.NotContains(t, body, j.GetName())
		_, err = jc.CancelJob(bob.ctx(), &kamldv1.CancelJobRequest{Name: j.GetName()})
		assert.Equal(t, codes.NotFound, status.Code(err), "only the owner and admins cancel: %v", err)
		_, err = jc.GetJob(root.ctx(), &kamldv1.GetJobRequest{Name: j.GetName()})
		require.NoError(t, err, "an admin sees every job")
		_, err = jc.CancelJob(alice.ctx(), &kamldv1.CancelJobRequest{Name: j.GetName()})
		require.NoError(t, err, "the owner cancels")
	})
}

// TestSharedModeRefusesUnisolatedLocalJobs: a local run as the sidecar's own user could read its token file
// (a job running ["cat", "DATA_DIR/token"]), so shared mode does not start with it.
func TestSharedModeRefusesUnisolatedLocalJobs(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Blob.FS.Dir = filepath.Join(cfg.DataDir, "store")
	cfg.Auth.Mode, cfg.Auth.ServiceTokensFile = config.ModeShared, filepath.Join(cfg.DataDir, "tokens.yaml")
	require.NoError(t, os.WriteFile(cfg.Auth.ServiceTokensFile, []byte("[]"), 0o600))
	_, err := wiring.Assemble(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "compute.local.run_as")
}

func TestAccessSuite_Embedded(t *testing.T) {
	runAccessSuite(t, startAccessSidecar(t))
}
