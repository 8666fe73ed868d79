package job_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/job"
)

// outputDataset makes dataset "model" with base.txt in v1.
func (e *env) outputDataset() {
	ctx := e.t.Context()
	_, err := e.engine.CreateDataset(ctx, "model", dataset.Metadata{})
	require.NoError(e.t, err)
	_, err = e.engine.WriteFile(ctx, "model", "base.txt", strings.NewReader("base"), dataset.WriteOptions{})
	require.NoError(e.t, err)
	_, err = e.engine.CreateSnapshot(ctx, "model", dataset.SnapshotOptions{})
	require.NoError(e.t, err)
}

// runningJob submits a job that writes out/<name> after 1.5 s into dataset "model" (made by outputDataset)
// and returns once it runs.
func runningJob(t *testing.T, name, content string) (*env, *job.Manager, *kamldv1.Job) {
	e := newEnv(t)
	e.outputDataset()
	m := e.manager()
	spec := script(fmt.Sprintf("import time\ntime.sleep(1.5)\nopen('out/%s','w').write('%s')", name, content))
	spec.Outputs = []*kamldv1.JobOutput{{Path: "out", Dataset: "datasets/model"}}
	j, err := m.Submit(t.Context(), spec, "", "alice")
	require.NoError(t, err)
	wait(t, m, id(j), kamldv1.JobState_JOB_STATE_RUNNING)
	return e, m, j
}

func filesAt(t *testing.T, e *env, id, ref string) []string {
	t.Helper()
	l, err := e.engine.ListFiles(t.Context(), id, ref, dataset.ListFilesOptions{Recursive: true})
	require.NoError(t, err)
	var out []string
	for _, f := range l.Files {
		out = append(out, f.Path)
	}
	return out
}

// TestJobSnapshotHoldsOnlyItsOutputs: a file written to the output dataset (and one snapshotted there) while
// the job runs is not in the job's snapshot; the job's branch is merged into main and then deleted.
func TestJobSnapshotHoldsOnlyItsOutputs(t *testing.T) {
	e, m, j := runningJob(t, "m.txt", "m")
	ctx := t.Context()
	_, err := e.engine.WriteFile(ctx, "model", "snapshotted.txt", strings.NewReader("s"), dataset.WriteOptions{})
	require.NoError(t, err)
	_, err = e.engine.CreateSnapshot(ctx, "model", dataset.SnapshotOptions{Message: "someone else"})
	require.NoError(t, err)
	_, err = e.engine.WriteFile(ctx, "model", "unrelated.txt", strings.NewReader("u"), dataset.WriteOptions{})
	require.NoError(t, err)

	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, j.State, reasons(j))
	require.Len(t, j.OutputSnapshots, 1)
	snapID := j.OutputSnapshots[0][strings.LastIndex(j.OutputSnapshots[0], "/")+1:]
	assert.Equal(t, []string{"base.txt", "m.txt"}, filesAt(t, e, "model", snapID), "exactly the job's outputs on the head at submit")
	assert.Equal(t, []string{"base.txt", "m.txt", "snapshotted.txt"}, filesAt(t, e, "model", ""), "merged into main")
	assert.Equal(t, []string{"base.txt", "m.txt", "snapshotted.txt", "unrelated.txt"}, filesAt(t, e, "model", "draft"))
	head, err := e.engine.GetSnapshot(ctx, "model", "")
	require.NoError(t, err)
	assert.Equal(t, snapID, head.MergeParent)
	branches, _, err := e.engine.ListBranches(ctx, "model", dataset.Page{})
	require.NoError(t, err)
	assert.Len(t, branches, 1, "the job's branch is gone once merged")
}

// TestJobMergeConflictFailsAndKeepsBranch: the job rewrites a file that main changed meanwhile; the commit
// step fails with the conflict list and the branch stays, holding the job's snapshot.
func TestJobMergeConflictFailsAndKeepsBranch(t *testing.T) {
	e, m, j := runningJob(t, "base.txt", "job")
	ctx := t.Context()
	_, err := e.engine.WriteFile(ctx, "model", "base.txt", strings.NewReader("someone else"), dataset.WriteOptions{})
	require.NoError(t, err)
	_, err = e.engine.CreateSnapshot(ctx, "model", dataset.SnapshotOptions{})
	require.NoError(t, err)

	j = wait(t, m, id(j), kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	require.Equal(t, kamldv1.JobState_JOB_STATE_FAILED, j.State)
	last := j.Events[len(j.Events)-1]
	assert.Equal(t, "OutputsFailed", last.Reason)
	assert.Contains(t, last.Message, "base.txt (ours sha256:")
	assert.Contains(t, last.Message, "the branch is kept")
	branch := "job." + id(j)
	assert.Equal(t, "job", readAt(t, e, "model", branch, "base.txt"), "the branch holds the job's snapshot")
	assert.Equal(t, "someone else", readAt(t, e, "model", "", "base.txt"))
}

func readAt(t *testing.T, e *env, id, ref, path string) string {
	t.Helper()
	rc, _, err := e.engine.OpenFile(t.Context(), id, ref, path, 0, 0)
	require.NoError(t, err)
	defer rc.Close()
	var sb strings.Builder
	_, err = io.Copy(&sb, rc)
	require.NoError(t, err)
	return sb.String()
}
