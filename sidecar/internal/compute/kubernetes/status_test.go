package kubernetes

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

var t0 = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

func podWith(phase corev1.PodPhase, edit func(*corev1.PodStatus)) corev1.Pod {
	p := corev1.Pod{Status: corev1.PodStatus{Phase: phase}}
	if edit != nil {
		edit(&p.Status)
	}
	return p
}

func terminated(name string, code int32, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: msg, StartedAt: t0, FinishedAt: t0}}}
}

func failedJobWith(reason string) *batchv1.Job {
	return &batchv1.Job{Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: reason, LastTransitionTime: t0}}}}
}

func TestStatusFromTheControllersSignals(t *testing.T) {
	active := &batchv1.Job{}
	for _, tc := range []struct {
		name   string
		job    *batchv1.Job
		pods   []corev1.Pod
		phase  compute.Phase
		reason string
		exit   int
	}{
		{"no Pod yet", active, nil, compute.PhasePending, compute.ReasonWaitingForResources, -1},
		{"waiting for the scheduler", active, []corev1.Pod{podWith(corev1.PodPending, nil)}, compute.PhasePending, compute.ReasonWaitingForResources, -1},
		{"no room now (preemption may help)", active, []corev1.Pod{podWith(corev1.PodPending, func(s *corev1.PodStatus) {
			s.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "SchedulingGated"}}
		})}, compute.PhasePending, compute.ReasonWaitingForResources, -1},
		{"unschedulable", active, []corev1.Pod{podWith(corev1.PodPending, func(s *corev1.PodStatus) {
			s.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes"}}
		})}, compute.PhasePending, compute.ReasonUnschedulable, -1},
		{"fetching inputs", active, []corev1.Pod{podWith(corev1.PodPending, func(s *corev1.PodStatus) {
			s.InitContainerStatuses = []corev1.ContainerStatus{{Name: FetchContainer, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t0}}}}
		})}, compute.PhasePending, compute.ReasonMaterializingInputs, -1},
		{"pulling", active, []corev1.Pod{podWith(corev1.PodPending, func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{{Name: RunContainer, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
		})}, compute.PhasePending, compute.ReasonPullingImage, -1},
		{"bad image keeps the kubelet's reason", active, []corev1.Pod{podWith(corev1.PodPending, func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{{Name: RunContainer, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "not found"}}}}
		})}, compute.PhasePending, "ImagePullBackOff", -1},
		{"running", active, []corev1.Pod{podWith(corev1.PodRunning, func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{{Name: RunContainer, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t0}}}}
		})}, compute.PhaseRunning, compute.ReasonStarted, -1},
		{"command failed", failedJobWith("BackoffLimitExceeded"), []corev1.Pod{podWith(corev1.PodFailed, func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{terminated(RunContainer, 3, "")}
		})}, compute.PhaseFailed, compute.ReasonError, 3},
		{"inputs failed", failedJobWith("BackoffLimitExceeded"), []corev1.Pod{podWith(corev1.PodFailed, func(s *corev1.PodStatus) {
			s.InitContainerStatuses = []corev1.ContainerStatus{terminated(FetchContainer, 1, "InputsFailed: no snapshot")}
		})}, compute.PhaseFailed, compute.ReasonInputsFailed, -1},
		{"outputs failed", failedJobWith("BackoffLimitExceeded"), []corev1.Pod{podWith(corev1.PodFailed, func(s *corev1.PodStatus) {
			s.ContainerStatuses = []corev1.ContainerStatus{terminated(RunContainer, 1, "OutputsFailed: store down")}
		})}, compute.PhaseFailed, compute.ReasonOutputsFailed, 1},
		{"deadline", failedJobWith(batchv1.JobReasonDeadlineExceeded), nil, compute.PhaseFailed, compute.ReasonDeadlineExceeded, -1},
		{"Pod vanished", failedJobWith("PodFailurePolicy"), nil, compute.PhaseFailed, compute.ReasonLost, -1},
		{"evicted", active, []corev1.Pod{podWith(corev1.PodFailed, func(s *corev1.PodStatus) { s.Reason = "Evicted" })}, compute.PhaseFailed, compute.ReasonLost, -1},
		{"cancelled wins over a late success", &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{AnnotationCancelled: t0.Format(time.RFC3339Nano)}},
			Status:     batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}},
		}, nil, compute.PhaseCancelled, compute.ReasonCancelledByUser, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := statusOf(tc.job, tc.pods)
			assert.Equal(t, tc.phase, st.Phase)
			assert.Equal(t, tc.reason, st.Reason)
			assert.Equal(t, tc.exit, st.ExitCode)
		})
	}
}

func TestFailureMessagesDropTheReasonPrefix(t *testing.T) {
	st := statusOf(failedJobWith("BackoffLimitExceeded"), []corev1.Pod{podWith(corev1.PodFailed, func(s *corev1.PodStatus) {
		s.InitContainerStatuses = []corev1.ContainerStatus{terminated(FetchContainer, 1, "InputsFailed: no snapshot abc")}
	})})
	assert.Equal(t, "no snapshot abc", st.Message)
}
