package server_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// seedIris creates iris with one file and snapshot v1 through the API.
func seedIris(t *testing.T, s *sidecar) {
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "iris", Dataset: &kamldv1.Dataset{}})
	require.NoError(t, err)
	writeFile(t, s, "iris", "iris.csv", "a,b\n1,2\n3,4") // the helper ends each line with \n
	_, err = kamldv1.NewSnapshotServiceClient(s.conn).CreateSnapshot(s.authed(), &kamldv1.CreateSnapshotRequest{Parent: "datasets/iris", Message: "v1"})
	require.NoError(t, err)
}

const trainPy = `import os
rows = open("data/iris.csv").read().splitlines()
print("rows", len(rows) - 1, flush=True)
os.makedirs("out", exist_ok=True)
open("out/model.txt", "w").write("trained on %d rows\n" % (len(rows) - 1))
`

func submitJSON(script string) string {
	return `{"flavor":"cpu","command":["python3","train.py"],` +
		`"workingFiles":[{"path":"train.py","content":"` + base64.StdEncoding.EncodeToString([]byte(script)) + `"}],` +
		`"inputs":[{"ref":"iris@v1","path":"data"}],"outputs":[{"path":"out","dataset":"datasets/model"}],` +
		`"resources":{"cpu":"100m","memory":"256Mi"}}`
}

func waitJob(t *testing.T, s *sidecar, name string, states ...kamldv1.JobState) *kamldv1.Job {
	t.Helper()
	c := kamldv1.NewJobServiceClient(s.conn)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		j, err := c.GetJob(s.authed(), &kamldv1.GetJobRequest{Name: name})
		require.NoError(t, err)
		for _, st := range states {
			if j.State == st {
				return j
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("job %s never reached %v", name, states)
	return nil
}

func TestJobLifecycle_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	seedIris(t, s)
	code, body, _ := s.rest(t, "POST", "/v1/jobs", submitJSON(trainPy), s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var submitted struct {
		Name   string `json:"name"`
		State  string `json:"state"`
		Owner  string `json:"owner"`
		Image  string `json:"image"`
		Inputs []struct {
			Snapshot string `json:"snapshot"`
		} `json:"inputs"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &submitted))
	assert.Equal(t, "JOB_STATE_QUEUED", submitted.State)
	assert.Equal(t, "tester", submitted.Owner)
	assert.Equal(t, "host", submitted.Image)
	assert.True(t, strings.HasPrefix(submitted.Inputs[0].Snapshot, "datasets/iris/snapshots/"))

	// WatchJob over gRPC streams every transition and ends after the final one.
	stream, err := kamldv1.NewJobServiceClient(s.conn).WatchJob(s.authed(), &kamldv1.WatchJobRequest{Name: submitted.Name})
	require.NoError(t, err)
	var last *kamldv1.JobEvent
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		last = ev
	}
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, last.State, last.Message)

	j := waitJob(t, s, submitted.Name, kamldv1.JobState_JOB_STATE_SUCCEEDED)
	require.Len(t, j.OutputSnapshots, 1)
	snap, err := kamldv1.NewSnapshotServiceClient(s.conn).GetSnapshot(s.authed(), &kamldv1.GetSnapshotRequest{Name: j.OutputSnapshots[0]})
	require.NoError(t, err)
	assert.Equal(t, j.Name, snap.Lineage.Job, "GetSnapshot shows the lineage")
	assert.Equal(t, []string{j.Inputs[0].Snapshot}, snap.Lineage.Inputs)
	assert.Equal(t, j.CodeDigest, snap.Lineage.CodeDigest)

	// Logs over REST (a server stream: one JSON object per line) and over gRPC.
	code, body, _ = s.rest(t, "GET", "/v1/"+j.Name+"/logs", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"text":"rows 2\n"`)
	logs, err := kamldv1.NewJobServiceClient(s.conn).StreamJobLogs(s.authed(), &kamldv1.StreamJobLogsRequest{Name: j.Name, Follow: true})
	require.NoError(t, err)
	chunk, err := logs.Recv()
	require.NoError(t, err)
	assert.Equal(t, "rows 2\n", chunk.Text)

	code, body, _ = s.rest(t, "GET", "/v1/jobs?pageSize=10", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, j.Name)
	code, body, _ = s.rest(t, "GET", "/v1/flavors", "", s.bearer())
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"name":"cpu"`)
	assert.Contains(t, body, `"available":true`)
}

func TestJobCancel_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	c := kamldv1.NewJobServiceClient(s.conn)
	j, err := c.SubmitJob(s.authed(), &kamldv1.SubmitJobRequest{Job: &kamldv1.Job{Flavor: "cpu", Command: []string{"sleep", "300"},
		Resources: &kamldv1.Resources{Cpu: "100m", Memory: "64Mi"}}})
	require.NoError(t, err)
	waitJob(t, s, j.Name, kamldv1.JobState_JOB_STATE_RUNNING)
	code, body, _ := s.rest(t, "POST", "/v1/"+j.Name+":cancel", `{"reason":"enough"}`, s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	j = waitJob(t, s, j.Name, kamldv1.JobState_JOB_STATE_CANCELLED)
	assert.Contains(t, j.Events[len(j.Events)-1].Message, "enough")

	// Pending and unschedulable (no GPU here), then cancelled over gRPC.
	j, err = c.SubmitJob(s.authed(), &kamldv1.SubmitJobRequest{Job: &kamldv1.Job{Flavor: "cpu", Command: []string{"true"},
		Resources: &kamldv1.Resources{Gpu: 1}}})
	require.NoError(t, err)
	waitJob(t, s, j.Name, kamldv1.JobState_JOB_STATE_PENDING)
	_, err = c.CancelJob(s.authed(), &kamldv1.CancelJobRequest{Name: j.Name})
	require.NoError(t, err)
	waitJob(t, s, j.Name, kamldv1.JobState_JOB_STATE_CANCELLED)
}

func TestJobBadInput_GRPCAndREST(t *testing.T) {
	s := startSidecar(t)
	seedIris(t, s)
	c := kamldv1.NewJobServiceClient(s.conn)
	for _, tc := range []struct {
		name, json, field string
		job               *kamldv1.Job
	}{
		{"unknown flavor", `{"flavor":"tpu","command":["true"]}`, "job.flavor", &kamldv1.Job{Flavor: "tpu", Command: []string{"true"}}},
		{"shell injection", `{"flavor":"cpu","command":["python3","x.py; curl evil"]}`, "job.command[1]",
			&kamldv1.Job{Flavor: "cpu", Command: []string{"python3", "x.py; curl evil"}}},
		{"a variable for a shell", `{"flavor":"cpu","command":["bash","-c","echo $HOME"]}`, "job.command[2]",
			&kamldv1.Job{Flavor: "cpu", Command: []string{"bash", "-c", "echo $HOME"}}},
		{"escaping path", `{"flavor":"cpu","command":["true"],"inputs":[{"ref":"iris","path":"../../home"}]}`, "job.inputs[0].path",
			&kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Inputs: []*kamldv1.JobInput{{Ref: "iris", Path: "../../home"}}}},
		{"absurd memory", `{"flavor":"cpu","command":["true"],"resources":{"memory":"100Pi"}}`, "job.resources.memory",
			&kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Resources: &kamldv1.Resources{Memory: "100Pi"}}},
		{"bad ref", `{"flavor":"cpu","command":["true"],"inputs":[{"ref":"iris@","path":"d"}]}`, "job.inputs[0].ref",
			&kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Inputs: []*kamldv1.JobInput{{Ref: "iris@", Path: "d"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SubmitJob(s.authed(), &kamldv1.SubmitJobRequest{Job: tc.job})
			assertInvalidArgumentWithField(t, err, tc.field)
			code, body, _ := s.rest(t, "POST", "/v1/jobs", tc.json, s.bearer())
			assert.Equal(t, http.StatusBadRequest, code, body)
			assert.Contains(t, string(joinDetails(decodeStatus(t, body))), tc.field)
		})
	}
	// Missing inputs are NOT_FOUND; unknown jobs too; bad names and paging are INVALID_ARGUMENT.
	_, err := c.SubmitJob(s.authed(), &kamldv1.SubmitJobRequest{Job: &kamldv1.Job{Flavor: "cpu", Command: []string{"true"},
		Inputs: []*kamldv1.JobInput{{Ref: "iris@v7", Path: "d"}}}})
	assert.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	code, _, _ := s.rest(t, "POST", "/v1/jobs", `{"flavor":"cpu","command":["true"],"inputs":[{"ref":"ghost","path":"d"}]}`, s.bearer())
	assert.Equal(t, http.StatusNotFound, code)
	_, err = c.GetJob(s.authed(), &kamldv1.GetJobRequest{Name: "jobs/nope"})
	assert.Equal(t, codes.NotFound, status.Code(err))
	code, _, _ = s.rest(t, "GET", "/v1/jobs/nope", "", s.bearer())
	assert.Equal(t, http.StatusNotFound, code)
	code, _, _ = s.rest(t, "POST", "/v1/jobs/nope:cancel", "{}", s.bearer())
	assert.Equal(t, http.StatusNotFound, code)
	_, err = c.GetJob(s.authed(), &kamldv1.GetJobRequest{Name: "nope"})
	assertInvalidArgumentWithField(t, err, "name")
	code, _, _ = s.rest(t, "GET", "/v1/jobs?pageSize=-1", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)
	code, _, _ = s.rest(t, "GET", "/v1/jobs?pageToken=forged", "", s.bearer())
	assert.Equal(t, http.StatusBadRequest, code)

	// The same job_id with another spec is ALREADY_EXISTS (409); the same spec returns the job.
	req := &kamldv1.SubmitJobRequest{JobId: "fixed", Job: &kamldv1.Job{Flavor: "cpu", Command: []string{"true"}, Resources: &kamldv1.Resources{Cpu: "100m"}}}
	first, err := c.SubmitJob(s.authed(), req)
	require.NoError(t, err)
	again, err := c.SubmitJob(s.authed(), req)
	require.NoError(t, err)
	assert.Equal(t, first.CreateTime.AsTime(), again.CreateTime.AsTime())
	code, _, _ = s.rest(t, "POST", "/v1/jobs?jobId=fixed", `{"flavor":"cpu","command":["false"]}`, s.bearer())
	assert.Equal(t, http.StatusConflict, code)
	waitJob(t, s, first.Name, kamldv1.JobState_JOB_STATE_SUCCEEDED) // its process ends before the test's files go
}
