// Package kubetest plays the parts of a Kubernetes cluster that tests have no binary for — the Job controller,
// the scheduler and the kubelet — by writing, through a real API server (testserver/kube), exactly the
// objects and status they would write. A backend reading the API cannot tell the difference.
package kubetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedbatch "k8s.io/client-go/kubernetes/typed/batch/v1"
	typedcore "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes"
)

// NodeName is the one node the tests register, as a kubelet would.
const NodeName = "node-1"

// Driver plays the Job controller, the scheduler and the kubelet by writing, through the API server, exactly
// what they would write: the Pod from the Job's template, its binding to a node, its status, and the Job's.
type Driver struct {
	core    typedcore.CoreV1Interface
	batch   typedbatch.BatchV1Interface
	kubelet *Kubelet
	// NS is the namespace of the runs it drives; a suite that makes a namespace per test sets it each time.
	NS string
}

// Job reads the run's Job.
func (d *Driver) Job(t testing.TB, id compute.RunID) *batchv1.Job {
	t.Helper()
	job, err := d.batch.Jobs(d.NS).Get(t.Context(), kubernetes.JobName(id), metav1.GetOptions{})
	require.NoError(t, err)
	return job
}

// pod returns the run's Pod, creating it from the Job's template as the Job controller does.
func (d *Driver) pod(t testing.TB, job *batchv1.Job) *corev1.Pod {
	t.Helper()
	pods, err := d.core.Pods(d.NS).List(t.Context(), metav1.ListOptions{LabelSelector: metav1.FormatLabelSelector(job.Spec.Selector)})
	require.NoError(t, err)
	if len(pods.Items) > 0 {
		return &pods.Items[0]
	}
	tmpl := job.Spec.Template
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: job.Name + "-", Labels: tmpl.Labels, Annotations: tmpl.Annotations,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(job, batchv1.SchemeGroupVersion.WithKind("Job"))},
		},
		Spec: tmpl.Spec,
	}
	pod, err = d.core.Pods(d.NS).Create(t.Context(), pod, metav1.CreateOptions{})
	require.NoError(t, err)
	d.jobStatus(t, job.Name, func(st *batchv1.JobStatus) {
		st.StartTime, st.Active = ptr(metav1.Now()), 1
	})
	return pod
}

func (d *Driver) Schedule(t *testing.T, id compute.RunID) {
	t.Helper()
	pod := d.pod(t, d.Job(t, id))
	binding := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: pod.Name}, Target: corev1.ObjectReference{Kind: "Node", Name: NodeName}}
	require.NoError(t, d.core.Pods(d.NS).Bind(t.Context(), binding, metav1.CreateOptions{}))
	now := metav1.Now()
	d.podStatus(t, pod.Name, func(st *corev1.PodStatus) {
		st.Phase, st.StartTime = corev1.PodRunning, &now
		st.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		}
		st.InitContainerStatuses = []corev1.ContainerStatus{{
			Name: kubernetes.FetchContainer, Image: "kamld", Ready: true,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now}},
		}}
		st.ContainerStatuses = []corev1.ContainerStatus{{
			Name: kubernetes.RunContainer, Image: "busybox", Ready: true, Started: ptr(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		}}
	})
}

func (d *Driver) Unschedulable(t *testing.T, id compute.RunID) {
	t.Helper()
	pod := d.pod(t, d.Job(t, id))
	d.podStatus(t, pod.Name, func(st *corev1.PodStatus) {
		st.Phase = corev1.PodPending
		st.Conditions = []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.", LastTransitionTime: metav1.Now(),
		}}
	})
}

// Exit ends the run's Pod with the command's exit code, and its Job accordingly, as the kubelet and the Job
// controller would.
func (d *Driver) Exit(t *testing.T, id compute.RunID, exitCode int) {
	t.Helper()
	d.ExitWith(t, id, exitCode, "")
}

// ExitWith is Exit with the run container's termination message: what the container wrote to
// /dev/termination-log, which the kubelet copies into the Pod's status.
func (d *Driver) ExitWith(t *testing.T, id compute.RunID, exitCode int, message string) {
	t.Helper()
	job := d.Job(t, id)
	pod := d.pod(t, job)
	now := metav1.Now()
	phase := corev1.PodSucceeded
	if exitCode != 0 {
		phase = corev1.PodFailed
	}
	d.podStatus(t, pod.Name, func(st *corev1.PodStatus) {
		started := now
		if len(st.ContainerStatuses) == 1 && st.ContainerStatuses[0].State.Running != nil {
			started = st.ContainerStatuses[0].State.Running.StartedAt
		}
		st.Phase = phase
		st.ContainerStatuses = []corev1.ContainerStatus{{
			Name: kubernetes.RunContainer, Image: "busybox",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(exitCode), Message: message, StartedAt: started, FinishedAt: now}},
		}}
	})
	d.kubelet.write(d.logKey(pod), "", true)
	d.jobStatus(t, job.Name, func(st *batchv1.JobStatus) {
		st.Active, st.Ready = 0, ptr(int32(0))
		if exitCode == 0 {
			st.Succeeded, st.CompletionTime = 1, &now
			st.Conditions = append(st.Conditions,
				batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonCompletionsReached, LastTransitionTime: now, LastProbeTime: now},
				batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonCompletionsReached, LastTransitionTime: now, LastProbeTime: now})
			return
		}
		st.Failed = 1
		st.Conditions = append(st.Conditions,
			batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonBackoffLimitExceeded, LastTransitionTime: now, LastProbeTime: now},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonBackoffLimitExceeded, Message: "Job has reached the specified backoff limit", LastTransitionTime: now, LastProbeTime: now})
	})
}

// Log appends text to the log of the run's command, as the container would write it.
func (d *Driver) Log(t testing.TB, id compute.RunID, text string) {
	t.Helper()
	d.kubelet.write(d.logKey(d.pod(t, d.Job(t, id))), text, false)
}

func (d *Driver) logKey(pod *corev1.Pod) string {
	return d.NS + "/" + pod.Name + "/" + kubernetes.RunContainer
}

// Deadline fails the Job as the Job controller does when activeDeadlineSeconds passes: it deletes the Pods and
// records DeadlineExceeded.
func (d *Driver) Deadline(t *testing.T, id compute.RunID) {
	t.Helper()
	job := d.Job(t, id)
	now := metav1.Now()
	d.jobStatus(t, job.Name, func(st *batchv1.JobStatus) {
		if st.StartTime == nil {
			st.StartTime = &now
		}
		st.Active, st.Failed = 0, 1
		st.Conditions = append(st.Conditions,
			batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonDeadlineExceeded, LastTransitionTime: now},
			batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonDeadlineExceeded, Message: "Job was active longer than specified deadline", LastTransitionTime: now})
	})
}

func (d *Driver) podStatus(t testing.TB, name string, edit func(*corev1.PodStatus)) {
	t.Helper()
	pod, err := d.core.Pods(d.NS).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	edit(&pod.Status)
	_, err = d.core.Pods(d.NS).UpdateStatus(t.Context(), pod, metav1.UpdateOptions{})
	require.NoError(t, err)
}

func (d *Driver) jobStatus(t testing.TB, name string, edit func(*batchv1.JobStatus)) {
	t.Helper()
	job, err := d.batch.Jobs(d.NS).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	edit(&job.Status)
	_, err = d.batch.Jobs(d.NS).UpdateStatus(t.Context(), job, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// registerNode creates the test's node with its capacity, as a kubelet registers itself.
func registerNode(t testing.TB, core typedcore.CoreV1Interface, kubelet *Kubelet) {
	t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName, Labels: map[string]string{
		corev1.LabelArchStable: "amd64", corev1.LabelOSStable: "linux", corev1.LabelHostname: NodeName,
	}}}
	node, err := core.Nodes().Create(t.Context(), node, metav1.CreateOptions{})
	require.NoError(t, err)
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"), corev1.ResourcePods: resource.MustParse("110"),
	}
	node.Status = corev1.NodeStatus{
		Capacity: capacity, Allocatable: capacity,
		NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux"},
		// Where the API server finds the kubelet, for logs.
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: kubelet.Port()}},
		Conditions:      []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.NewTime(time.Now())}},
	}
	_, err = core.Nodes().UpdateStatus(t.Context(), node, metav1.UpdateOptions{})
	require.NoError(t, err)
}

func ptr[T any](v T) *T { return &v }
