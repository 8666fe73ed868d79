package server_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/config"
)

// jobUserName is the system user local jobs run as in TestRunAsIsolatesLocalJobs.
const jobUserName = "kamld-job"

// isolationProbe is a job's code run as another uid: it reports what it could read and write, with its
// files and with its job token. Paths it must not reach are given in PROBE_SECRETS (JSON).
const isolationProbe = jobProbePrelude + `def reach(p):
    try:
        if os.path.isdir(p):
            os.listdir(p)
        else:
            open(p, "rb").read(1)
        return "read"
    except OSError as e:
        return type(e).__name__
res = {"uid": os.getuid(), "groups": os.getgroups()}
res["secrets"] = {p: reach(p) for p in json.loads(os.environ["PROBE_SECRETS"])}
res["input"] = open("data/t.csv").read()
os.makedirs("out", exist_ok=True)
open("out/by-file.txt", "w").write("written by the job")
res["apiReadInput"] = call("GET", "/v1/datasets/vault/content/t.csv")
res["apiWriteOutput"] = call("PUT", "/v1/datasets/results/content/by-api.txt", b"written through the job token")
res["apiReadOther"] = call("GET", "/v1/datasets/bobs/content/t.csv")
print("RESULT " + json.dumps(res), flush=True)
`

// (The probe runs the system Python: an interpreter under the sidecar user's home is not the job user's to run.)
//
// TestRunAsIsolatesLocalJobs: in shared mode a local job runs as compute.local.run_as, a real second uid.
// As that user its code reads its inputs and writes its outputs — as files in its work directory and through
// its job token — and reaches nothing of the sidecar: not its data directory, token, store or index, not the
// credentials file, not the sidecar process's environment.
func TestRunAsIsolatesLocalJobs(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the test creates the system user " + jobUserName + " (useradd) and the sidecar switches to it; CI runs Go tests as root")
	}
	runAs := systemUser(t, jobUserName)
	var dataDir, tokensFile string
	s := startAccessSidecar(t, func(c *config.Config) {
		c.Compute.Local.RunAs = runAs
		dataDir, tokensFile = c.DataDir, c.Auth.ServiceTokensFile
	})
	t.Cleanup(func() { // the work directories of run_as runs live outside the data directory (docs/security.md)
		if root, err := os.ReadFile(filepath.Join(dataDir, "compute", "work-root")); err == nil {
			_ = os.RemoveAll(string(root))
		}
	})
	alice, bob := user{s, "alice"}, user{s, "bob"}
	alice.create(t, "vault", "private")
	bob.create(t, "bobs", "private")

	secrets := []string{dataDir, filepath.Join(dataDir, "token"), filepath.Join(dataDir, "store"), filepath.Join(dataDir, "index"),
		tokensFile, fmt.Sprintf("/proc/%d/environ", os.Getpid())}
	env, _ := json.Marshal(secrets)
	spec := map[string]any{
		"flavor": "cpu", "command": []string{"/usr/bin/python3", "probe.py"}, "env": map[string]string{"PROBE_SECRETS": string(env)},
		"workingFiles": []map[string]string{{"path": "probe.py", "content": base64.StdEncoding.EncodeToString([]byte(isolationProbe))}},
		"inputs":       []map[string]string{{"ref": "vault@v1", "path": "data"}},
		"outputs":      []map[string]string{{"path": "out", "dataset": "datasets/results"}},
		"resources":    map[string]string{"cpu": "100m", "memory": "256Mi"},
	}
	body, _ := json.Marshal(spec)
	code, resp := alice.rest(t, "POST", "/v1/jobs", string(body))
	require.Equal(t, http.StatusOK, code, resp)
	var j struct{ Name string }
	require.NoError(t, json.Unmarshal([]byte(resp), &j))
	state, log := waitJobAs(t, alice, j.Name)
	require.Equal(t, "JOB_STATE_SUCCEEDED", state, log)

	var res struct {
		UID                                        int
		Groups                                     []int
		Secrets                                    map[string]string
		Input                                      string
		APIReadInput, APIWriteOutput, APIReadOther int
	}
	require.NoError(t, json.Unmarshal([]byte(logLine(t, log, "RESULT ")), &res), log)
	u, err := osuser.Lookup(jobUserName)
	require.NoError(t, err)
	assert.Equal(t, u.Uid, fmt.Sprint(res.UID), "the command ran as run_as")
	assert.NotContains(t, res.Groups, 0, "and kept none of the sidecar's groups")
	for _, p := range secrets {
		assert.Equal(t, "PermissionError", res.Secrets[p], "the job reached %s", p)
	}
	assert.Equal(t, "k,v\na,1\nb,2\n", res.Input, "its input, as a file")
	assert.Equal(t, http.StatusOK, res.APIReadInput, "its input, through its token")
	assert.Equal(t, http.StatusOK, res.APIWriteOutput, "its output, through its token")
	assert.Equal(t, http.StatusNotFound, res.APIReadOther, "another dataset: as if it did not exist")
	for path, want := range map[string]string{"by-file.txt": "written by the job", "by-api.txt": "written through the job token"} {
		code, got := alice.rest(t, "GET", "/v1/datasets/results/content/"+path+"?ref=draft", "")
		if code == http.StatusNotFound { // a job's output files are snapshotted; the API write sits in the draft or in it
			code, got = alice.rest(t, "GET", "/v1/datasets/results/content/"+path, "")
		}
		assert.Equal(t, http.StatusOK, code, "%s: %s", path, got)
		assert.Equal(t, want, got)
	}
}

// systemUser creates the system user name unless it exists (useradd is idempotent here) and returns its
// uid:gid.
func systemUser(t *testing.T, name string) string {
	t.Helper()
	if _, err := osuser.Lookup(name); err != nil {
		out, err := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "already exists") {
			t.Fatalf("useradd %s: %v: %s", name, err, out)
		}
	}
	u, err := osuser.Lookup(name)
	require.NoError(t, err)
	return u.Uid + ":" + u.Gid
}

// waitJobAs waits for u's job to end and returns its final state and its log.
func waitJobAs(t *testing.T, u user, name string) (string, string) {
	t.Helper()
	jc := kamldv1.NewJobServiceClient(u.s.conn)
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		j, err := jc.GetJob(u.ctx(), &kamldv1.GetJobRequest{Name: name})
		require.NoError(t, err)
		switch j.GetState() {
		case kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED, kamldv1.JobState_JOB_STATE_CANCELLED:
			return j.GetState().String(), jobLogWith(t, u.s, u.ctx(), name)
		}
	}
	t.Fatalf("job %s did not end", name)
	return "", ""
}
