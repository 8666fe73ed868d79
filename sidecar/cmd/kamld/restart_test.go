package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/compute/local"
)

// asKamld makes this test binary run kamld's main with the arguments in it: a child process started that
// way is a real kamld process (the same main, flags, wiring and supervisor), which a test can SIGKILL.
const asKamld = "KAMLD_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if args := os.Getenv(asKamld); args != "" {
		os.Args = append([]string{"kamld"}, strings.Split(args, "\x1f")...)
		main()
		os.Exit(0)
	}
	local.MaybeSupervise()
	os.Exit(m.Run())
}

// kamldProcess is `kamld serve` in a child process.
type kamldProcess struct {
	cmd     *exec.Cmd
	conn    *grpc.ClientConn
	ctx     context.Context
	httpURL string
	token   string
}

// startKamld runs `kamld serve` on data in dir, with env (KEY=value) added to this process's environment.
func startKamld(t *testing.T, dir string, env ...string) *kamldProcess {
	t.Helper()
	ready := filepath.Join(dir, "ready.json")
	_ = os.Remove(ready)
	args := []string{"serve", "--data-dir", dir, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--ready-file", ready, "--log-level", "warn"}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env...), asKamld+"="+strings.Join(args, "\x1f"))
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var bound struct {
		GRPCAddr string `json:"grpc_addr"`
		HTTPURL  string `json:"http_url"`
	}
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(ready)
		return err == nil && json.Unmarshal(b, &bound) == nil
	}, 30*time.Second, 10*time.Millisecond)
	tok, err := os.ReadFile(filepath.Join(dir, "token"))
	require.NoError(t, err)
	conn, err := grpc.NewClient(bound.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	ctx := metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+strings.TrimSpace(string(tok))))
	return &kamldProcess{cmd: cmd, conn: conn, ctx: ctx, httpURL: bound.HTTPURL, token: strings.TrimSpace(string(tok))}
}

func (k *kamldProcess) jobs() kamldv1.JobServiceClient { return kamldv1.NewJobServiceClient(k.conn) }

func (k *kamldProcess) waitJob(t *testing.T, name string, states ...kamldv1.JobState) *kamldv1.Job {
	t.Helper()
	var j *kamldv1.Job
	require.Eventually(t, func() bool {
		var err error
		j, err = k.jobs().GetJob(k.ctx, &kamldv1.GetJobRequest{Name: name})
		require.NoError(t, err)
		for _, s := range states {
			if j.State == s {
				return true
			}
		}
		return false
	}, 60*time.Second, 20*time.Millisecond, "job %s never reached %v", name, states)
	return j
}

// TestSIGKILLDuringAJob kills the sidecar with SIGKILL while two jobs run. After a restart, the first is
// still tracked, finishes and commits its output exactly once; the second, whose supervisor was also killed
// while no sidecar watched, is marked FAILED/Lost — never left RUNNING.
func TestSIGKILLDuringAJob(t *testing.T) {
	dir := t.TempDir()
	k := startKamld(t, dir)
	script := "import time\ntime.sleep(2)\nrows = open('data/iris.csv').read().count(chr(10))\nopen('out/model.txt', 'w').write(str(rows))\nprint('trained', rows)\n"
	survivor, err := k.jobs().SubmitJob(k.ctx, &kamldv1.SubmitJobRequest{Job: &kamldv1.Job{
		Flavor: "cpu", Command: []string{"python3", "train.py"},
		WorkingFiles: []*kamldv1.WorkFile{{Path: "train.py", Content: []byte(script)}},
		Inputs:       []*kamldv1.JobInput{{Ref: "iris@v1", Path: "data"}},
		Outputs:      []*kamldv1.JobOutput{{Path: "out", Dataset: "datasets/model"}},
		Resources:    &kamldv1.Resources{Cpu: "100m", Memory: "256Mi"},
	}})
	require.NoError(t, err)
	orphan, err := k.jobs().SubmitJob(k.ctx, &kamldv1.SubmitJobRequest{Job: &kamldv1.Job{
		Flavor: "cpu", Command: []string{"sleep", "300"}, Resources: &kamldv1.Resources{Cpu: "100m", Memory: "64Mi"}}})
	require.NoError(t, err)
	k.waitJob(t, survivor.Name, kamldv1.JobState_JOB_STATE_RUNNING)
	k.waitJob(t, orphan.Name, kamldv1.JobState_JOB_STATE_RUNNING)

	require.NoError(t, k.cmd.Process.Signal(syscall.SIGKILL))
	_ = k.cmd.Wait()
	var sup struct {
		PID int `json:"pid"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "compute", "runs", strings.TrimPrefix(orphan.Name, "jobs/")+"-1", "supervisor.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &sup))
	require.NoError(t, syscall.Kill(sup.PID, syscall.SIGKILL))

	k2 := startKamld(t, dir)
	j := k2.waitJob(t, survivor.Name, kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, j.State, "%v", j.Events)
	snaps, err := kamldv1.NewSnapshotServiceClient(k2.conn).ListSnapshots(k2.ctx, &kamldv1.ListSnapshotsRequest{Parent: "datasets/model"})
	require.NoError(t, err)
	require.Len(t, snaps.Snapshots, 1, "outputs committed exactly once")
	assert.Equal(t, survivor.Name, snaps.Snapshots[0].Lineage.Job)
	assert.Equal(t, []string{j.OutputSnapshots[0]}, []string{snaps.Snapshots[0].Name})

	logs, err := k2.jobs().StreamJobLogs(k2.ctx, &kamldv1.StreamJobLogsRequest{Name: survivor.Name})
	require.NoError(t, err)
	chunk, err := logs.Recv()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(chunk.Text, "trained "), chunk.Text)

	lost := k2.waitJob(t, orphan.Name, kamldv1.JobState_JOB_STATE_FAILED)
	assert.Equal(t, "Lost", lost.Events[len(lost.Events)-1].Reason)
}
