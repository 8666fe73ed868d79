package kubernetes

import (
	"slices"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

// Termination messages the helper writes (to /dev/termination-log) when it, not the command, failed.
const (
	messageInputsFailed  = compute.ReasonInputsFailed + ": "
	messageOutputsFailed = compute.ReasonOutputsFailed + ": "
)

// statusOf reads a run's status from what the controllers wrote: a cancellation recorded by kamld wins, then
// the Job's final conditions, then the newest Pod. A Job that failed without a Pod to tell why lost its Pod
// (a node died, someone deleted it): Lost, never a silent Running.
func statusOf(job *batchv1.Job, pods []corev1.Pod) compute.Status {
	pod := newest(pods)
	if at, ok := annotationTime(job, AnnotationCancelled); ok {
		started, _ := annotationTime(job, AnnotationStarted)
		if started.IsZero() && pod != nil {
			started = commandStart(pod)
		}
		return compute.Status{Phase: compute.PhaseCancelled, Reason: compute.ReasonCancelledByUser, Message: "cancelled by a user", ExitCode: -1, StartTime: started, EndTime: at}
	}
	if c := condition(job, batchv1.JobComplete); c != nil {
		st := compute.Status{Phase: compute.PhaseSucceeded, Reason: compute.ReasonCompleted, EndTime: c.LastTransitionTime.Time}
		if pod != nil {
			st.StartTime = commandStart(pod)
		}
		if st.StartTime.IsZero() && job.Status.StartTime != nil {
			st.StartTime = job.Status.StartTime.Time
		}
		return st
	}
	if c := condition(job, batchv1.JobFailed); c != nil {
		return failedJob(c, pod)
	}
	if pod == nil {
		return compute.Status{Phase: compute.PhasePending, Reason: compute.ReasonWaitingForResources, Message: "waiting for the Job controller to create the Pod", ExitCode: -1}
	}
	return podStatus(pod)
}

// failedJob explains a Job's Failed condition from its Pod.
func failedJob(c *batchv1.JobCondition, pod *corev1.Pod) compute.Status {
	end := c.LastTransitionTime.Time
	if c.Reason == batchv1.JobReasonDeadlineExceeded {
		st := compute.Status{Phase: compute.PhaseFailed, Reason: compute.ReasonDeadlineExceeded, Message: c.Message, ExitCode: -1, EndTime: end}
		if pod != nil {
			st.StartTime = commandStart(pod)
		}
		return st
	}
	if pod == nil || !terminal(pod) {
		return compute.Status{Phase: compute.PhaseFailed, Reason: compute.ReasonLost, Message: "the Job failed (" + c.Reason + ") and its Pod is gone: " + c.Message, ExitCode: -1, EndTime: end}
	}
	st := podStatus(pod)
	st.EndTime = end
	return st
}

// podStatus reads one Pod: waiting, unschedulable, fetching inputs, running, or ended.
func podStatus(pod *corev1.Pod) compute.Status {
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		return ended(pod, compute.PhaseSucceeded, compute.ReasonCompleted)
	case corev1.PodFailed:
		return podFailed(pod)
	case corev1.PodRunning:
		if run := containerStatus(pod.Status.ContainerStatuses, RunContainer); run != nil && run.State.Running != nil {
			return compute.Status{Phase: compute.PhaseRunning, Reason: compute.ReasonStarted, ExitCode: -1, StartTime: run.State.Running.StartedAt.Time}
		}
	}
	return pending(pod)
}

// pending tells why a Pod has not started the command yet, from the scheduler's and the kubelet's signals.
func pending(pod *corev1.Pod) compute.Status {
	st := compute.Status{Phase: compute.PhasePending, Reason: compute.ReasonWaitingForResources, ExitCode: -1}
	if c := podCondition(pod, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse {
		st.Message = c.Message
		if c.Reason == corev1.PodReasonUnschedulable {
			st.Reason = compute.ReasonUnschedulable
		}
		return st
	}
	if fetch := containerStatus(pod.Status.InitContainerStatuses, FetchContainer); fetch != nil && fetch.State.Running != nil {
		st.Reason, st.Message = compute.ReasonMaterializingInputs, "fetching working files and inputs"
		return st
	}
	for _, cs := range append(slices.Clone(pod.Status.InitContainerStatuses), pod.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil && w.Reason != "" && w.Reason != "PodInitializing" {
			st.Reason, st.Message = waitingReason(w.Reason), w.Message
			return st
		}
	}
	if pod.Spec.NodeName == "" {
		st.Message = "waiting for the scheduler"
	} else {
		st.Message = "starting on node " + pod.Spec.NodeName
	}
	return st
}

// waitingReason keeps the kubelet's precise reason (ErrImagePull, CreateContainerConfigError, …) except for the
// normal steps of pulling and creating, which are PullingImage.
func waitingReason(reason string) string {
	switch reason {
	case "ContainerCreating", "Pulling":
		return compute.ReasonPullingImage
	}
	return reason
}

// podFailed explains a failed Pod: the helper's fetch, the helper's store, a deadline, an eviction, or the
// command's own exit code.
func podFailed(pod *corev1.Pod) compute.Status {
	if fetch := containerStatus(pod.Status.InitContainerStatuses, FetchContainer); fetch != nil {
		if t := fetch.State.Terminated; t != nil && t.ExitCode != 0 {
			st := ended(pod, compute.PhaseFailed, compute.ReasonInputsFailed)
			st.Message = strings.TrimPrefix(t.Message, messageInputsFailed)
			return st
		}
	}
	run := containerStatus(pod.Status.ContainerStatuses, RunContainer)
	if run == nil || run.State.Terminated == nil {
		// The Pod failed around the containers: evicted, its node lost, its deadline passed.
		st := ended(pod, compute.PhaseFailed, compute.ReasonLost)
		if pod.Status.Reason == batchv1.JobReasonDeadlineExceeded {
			st.Reason = compute.ReasonDeadlineExceeded
		}
		st.Message = strings.TrimSpace(pod.Status.Reason + " " + pod.Status.Message)
		return st
	}
	st := ended(pod, compute.PhaseFailed, compute.ReasonError)
	if msg := run.State.Terminated.Message; strings.HasPrefix(msg, messageOutputsFailed) {
		st.Reason, st.Message = compute.ReasonOutputsFailed, strings.TrimPrefix(msg, messageOutputsFailed)
	}
	return st
}

// ended is a final status with the run container's exit code and times.
func ended(pod *corev1.Pod, phase compute.Phase, reason string) compute.Status {
	st := compute.Status{Phase: phase, Reason: reason, ExitCode: -1, StartTime: commandStart(pod)}
	if run := containerStatus(pod.Status.ContainerStatuses, RunContainer); run != nil && run.State.Terminated != nil {
		t := run.State.Terminated
		st.ExitCode, st.EndTime = int(t.ExitCode), t.FinishedAt.Time
		if t.Message != "" && st.Message == "" && phase == compute.PhaseFailed {
			st.Message = t.Message
		}
	}
	if st.EndTime.IsZero() {
		st.EndTime = time.Now()
	}
	return st
}

// commandStart is when the run container started, zero if it never did.
func commandStart(pod *corev1.Pod) time.Time {
	run := containerStatus(pod.Status.ContainerStatuses, RunContainer)
	switch {
	case run == nil:
		return time.Time{}
	case run.State.Running != nil:
		return run.State.Running.StartedAt.Time
	case run.State.Terminated != nil:
		return run.State.Terminated.StartedAt.Time
	}
	return time.Time{}
}

// newest is the most recently created Pod (a Job with backoffLimit 0 has one, but a replaced Pod may linger).
func newest(pods []corev1.Pod) *corev1.Pod {
	var out *corev1.Pod
	for i := range pods {
		if out == nil || out.CreationTimestamp.Before(&pods[i].CreationTimestamp) {
			out = &pods[i]
		}
	}
	return out
}

func terminal(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
}

func condition(job *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i, c := range job.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return &job.Status.Conditions[i]
		}
	}
	return nil
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i, c := range pod.Status.Conditions {
		if c.Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func containerStatus(statuses []corev1.ContainerStatus, name string) *corev1.ContainerStatus {
	for i := range statuses {
		if statuses[i].Name == name {
			return &statuses[i]
		}
	}
	return nil
}

func annotationTime(job *batchv1.Job, key string) (time.Time, bool) {
	v, ok := job.Annotations[key]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil
}
