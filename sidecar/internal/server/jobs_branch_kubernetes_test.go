package server_test

import (
	"encoding/json"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
)

// TestJobOutputsOnTheirBranch_Kubernetes: the Pod's manifest sends the job's outputs to the job's branch of
// the output dataset; a file written to the dataset's main draft during the run (and a snapshot taken there)
// is not in the job's snapshot; on success the branch is merged into main. The test plays the kubelet and
// the in-pod helper, which stores the outputs where the manifest says.
func TestJobOutputsOnTheirBranch_Kubernetes(t *testing.T) {
	_, _, s, d := startOnKubernetes(t)
	code, body, _ := s.rest(t, "POST", "/v1/jobs", submitJSON(trainPy), s.bearer())
	require.Equal(t, http.StatusOK, code, body)
	var submitted struct{ Name string }
	require.NoError(t, json.Unmarshal([]byte(body), &submitted))
	jobID := strings.TrimPrefix(submitted.Name, "jobs/")
	run := compute.RunID{Job: jobID, Attempt: 1}
	waitJob(t, s, submitted.Name, kamldv1.JobState_JOB_STATE_PENDING)

	var m podhelper.Manifest
	require.NoError(t, json.Unmarshal([]byte(d.Job(t, run).Spec.Template.Annotations[kubernetes.AnnotationManifest]), &m))
	require.Len(t, m.Outputs, 1)
	require.Equal(t, "model@job."+jobID, m.Outputs[0].Dataset, "the Pod stores its outputs on the job's branch")

	d.Schedule(t, run)
	waitJob(t, s, submitted.Name, kamldv1.JobState_JOB_STATE_RUNNING)
	writeFile(t, s, "model", "unrelated.txt", "someone else's")
	writeFile(t, s, m.Outputs[0].Dataset, "model.txt", "trained") // what the helper stores after exit 0
	d.Exit(t, run, 0)
	j := waitJob(t, s, submitted.Name, kamldv1.JobState_JOB_STATE_SUCCEEDED, kamldv1.JobState_JOB_STATE_FAILED)
	require.Equal(t, kamldv1.JobState_JOB_STATE_SUCCEEDED, j.State, j.Events)
	require.Len(t, j.OutputSnapshots, 1)

	files := kamldv1.NewFileServiceClient(s.conn)
	list := func(ref string) []string {
		l, err := files.ListFiles(s.authed(), &kamldv1.ListFilesRequest{Dataset: "datasets/model", Ref: ref, Recursive: true})
		require.NoError(t, err)
		var out []string
		for _, f := range l.GetFiles() {
			out = append(out, f.GetPath())
		}
		return out
	}
	assert.Equal(t, []string{"model.txt"}, list(path.Base(j.OutputSnapshots[0])), "exactly the job's outputs")
	assert.Equal(t, []string{"model.txt"}, list(""), "merged into main")
	assert.Equal(t, []string{"model.txt", "unrelated.txt"}, list("draft"), "main's draft keeps its own write")
}
