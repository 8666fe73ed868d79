package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// jobProbe is a job's code: with only its environment it calls the API and reports what it was allowed, then
// prints its token so the test can try it once the job has ended.
// jobProbePrelude is the start of every probe job: `call(method, path, body)` answers the HTTP status of a
// call to the API with only the job's own environment (KAMLD_URL, KAMLD_JOB_TOKEN).
const jobProbePrelude = `import json, os, urllib.request, urllib.error
url, tok = os.environ["KAMLD_URL"], os.environ["KAMLD_JOB_TOKEN"]
def call(method, path, body=None):
    req = urllib.request.Request(url + path, data=body, method=method, headers={"Authorization": "Bearer " + tok})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
`

const jobProbe = jobProbePrelude + `res = {
    "readInput": call("GET", "/v1/datasets/iris/content/iris.csv"),
    "writeOutput": call("PUT", "/v1/datasets/model/content/from-job.txt", b"written by the job"),
    "readOther": call("GET", "/v1/datasets/other/content/o.txt"),
    "writeInput": call("PUT", "/v1/datasets/iris/content/x.txt", b"x"),
    "listDatasets": call("GET", "/v1/datasets"),
    "submitJob": call("POST", "/v1/jobs", b"{}"),
}
print("RESULT " + json.dumps(res), flush=True)
print("ENV " + json.dumps(dict(os.environ)), flush=True)
print("TOKEN " + tok, flush=True)
`

// TestJobToken: a job's code reads its input and writes its output with the token in its environment, and
// nothing else: another dataset is NOT_FOUND, its input is read-only, it submits no job; the sidecar's token
// is not in its environment; once the job has ended its token is refused.
func TestJobToken(t *testing.T) {
	s := startSidecar(t)
	seedIris(t, s)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "other"})
	require.NoError(t, err)
	writeFile(t, s, "other", "o.txt", "not for the job")

	body := `{"flavor":"cpu","command":["python3","probe.py"],` +
		`"workingFiles":[{"path":"probe.py","content":"` + base64.StdEncoding.EncodeToString([]byte(jobProbe)) + `"}],` +
		`"inputs":[{"ref":"iris@v1","path":"data"}],"outputs":[{"path":"out","dataset":"datasets/model"}],` +
		`"resources":{"cpu":"100m","memory":"256Mi"}}`
	code, resp, _ := s.rest(t, "POST", "/v1/jobs", body, s.bearer())
	require.Equal(t, http.StatusOK, code, resp)
	var j kamldv1.Job
	require.NoError(t, json.Unmarshal([]byte(resp), &struct{ Name *string }{&j.Name}))
	done := waitJob(t, s, j.Name, kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	log := jobLog(t, s, j.Name)
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, done.State, log)

	var res map[string]int
	require.NoError(t, json.Unmarshal([]byte(logLine(t, log, "RESULT ")), &res), log)
	assert.Equal(t, map[string]int{
		"readInput": 200, "writeOutput": 200, "readOther": 404, "writeInput": 403, "listDatasets": 200, "submitJob": 403,
	}, res)
	var env map[string]string
	require.NoError(t, json.Unmarshal([]byte(logLine(t, log, "ENV ")), &env))
	for k, v := range env {
		assert.NotContains(t, v, s.token, "the sidecar's token is in the job's %s", k)
		if strings.HasPrefix(k, "KAMLD_") {
			assert.Contains(t, []string{"KAMLD_JOB", "KAMLD_ATTEMPT", "KAMLD_WORKDIR", "KAMLD_JOB_TOKEN", "KAMLD_URL", "KAMLD_GRPC"}, k)
		}
	}

	var byJob []string
	for _, r := range allAuditRecords(t, s, s.authed()) {
		if r.GetKind() == "job" && r.GetSubject() != "" {
			byJob = append(byJob, r.GetMethod()+" "+r.GetOutcome())
		}
	}
	assert.Subset(t, byJob, []string{"/kamld.v1.FileService/WriteFile OK", "/kamld.v1.FileService/WriteFile PERMISSION_DENIED",
		"/kamld.v1.JobService/SubmitJob PERMISSION_DENIED", "/kamld.v1.FileService/StatFile NOT_FOUND"}, "the job's own calls are audited as the job's")

	jobToken := map[string]string{"Authorization": "Bearer " + logLine(t, log, "TOKEN ")}
	code, resp, _ = s.rest(t, "GET", "/v1/datasets/iris/content/iris.csv", "", jobToken)
	assert.Equal(t, http.StatusUnauthorized, code, resp)
	assert.Equal(t, "CREDENTIAL_EXPIRED", restReason(t, resp))
	code, resp, _ = s.rest(t, "GET", "/v1/datasets/iris", "", map[string]string{"Authorization": "Bearer kjt." + strings.TrimPrefix(j.Name, "jobs/") + ".forged"})
	assert.Equal(t, http.StatusUnauthorized, code, resp)
	assert.Equal(t, "TOKEN_INVALID", restReason(t, resp))
}

// jobLog is a job's whole log, over gRPC.
func jobLog(t *testing.T, s *sidecar, name string) string {
	t.Helper()
	return jobLogWith(t, s, s.authed(), name)
}

// jobLogWith is jobLog as the caller of ctx.
func jobLogWith(t *testing.T, s *sidecar, ctx context.Context, name string) string {
	t.Helper()
	logs, err := kamldv1.NewJobServiceClient(s.conn).StreamJobLogs(ctx, &kamldv1.StreamJobLogsRequest{Name: name})
	require.NoError(t, err)
	var b strings.Builder
	for {
		c, err := logs.Recv()
		if err == io.EOF {
			return b.String()
		}
		require.NoError(t, err)
		b.WriteString(c.Text)
	}
}

func logLine(t *testing.T, log, prefix string) string {
	t.Helper()
	for line := range strings.SplitSeq(log, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return v
		}
	}
	t.Fatalf("no %q line in the job's log:\n%s", prefix, log)
	return ""
}
