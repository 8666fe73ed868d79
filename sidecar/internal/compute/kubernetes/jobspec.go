package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/compute/kubernetes/podhelper"
)

// Labels and annotations kamld puts on Jobs (and, through the template, on their Pods).
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelJob       = "kamld.io/job"
	LabelAttempt   = "kamld.io/attempt"
	// AnnotationManifest carries the helper's podhelper.Manifest (JSON) to the Pod through a downward-API volume.
	AnnotationManifest = "kamld.io/manifest"
	// AnnotationCancelled records when a user cancelled the run (RFC 3339); the run is Cancelled from then on.
	AnnotationCancelled = "kamld.io/cancelled-at"
	// AnnotationStarted keeps when the command had started, for a run cancelled while it ran (its Pods go).
	AnnotationStarted = "kamld.io/started-at"
)

// Paths and names inside the Pod.
const (
	WorkDir          = "/work"
	helperDir        = "/kamld"
	helperName       = "kamld-job-helper" // cmd/kamld-job-helper: static, so it runs in any image
	helperBinary     = helperDir + "/bin/" + helperName
	manifestPath     = helperDir + "/spec/manifest.json"
	FetchContainer   = "kamld-fetch"
	RunContainer     = "run"
	managedBy        = "kamld"
	managedSelector  = LabelManagedBy + "=" + managedBy
	mergePatch       = types.MergePatchType
	maxJobNameLength = 63 // the Job controller copies the name into a label value
)

// JobName is the run's Job name: "kamld-<job>-<attempt>", deterministic so that a retried create collides
// with the first. A job id too long for that keeps a prefix plus a digest of the whole id.
func JobName(id compute.RunID) string {
	name := fmt.Sprintf("kamld-%s-%d", id.Job, id.Attempt)
	if len(name) <= maxJobNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(id.Job))
	suffix := fmt.Sprintf("-%s-%d", hex.EncodeToString(sum[:])[:10], id.Attempt)
	prefix := strings.TrimRight(("kamld-" + id.Job)[:maxJobNameLength-len(suffix)], "-")
	return prefix + suffix
}

// runSelector selects the run's Job and Pods.
func runSelector(id compute.RunID) string {
	return fmt.Sprintf("%s,%s=%s,%s=%d", managedSelector, LabelJob, id.Job, LabelAttempt, id.Attempt)
}

// runOf reads the run a kamld Job belongs to from its labels.
func runOf(job *batchv1.Job) (compute.RunID, bool) {
	attempt, err := strconv.Atoi(job.Labels[LabelAttempt])
	if err != nil || job.Labels[LabelJob] == "" {
		return compute.RunID{}, false
	}
	return compute.RunID{Job: job.Labels[LabelJob], Attempt: attempt}, true
}

// jobFor builds the run's Job. Retries belong to the job domain (each attempt is its own run), so the Job
// never retries (backoffLimit 0) and its Pod never restarts.
func (b *Backend) jobFor(spec compute.Spec) (*batchv1.Job, error) {
	if b.opts.HelperImage == "" {
		return nil, fmt.Errorf("compute.kubernetes.helper_image is not set: runs need an image with the kamld-job-helper binary: %w", apierr.ErrFailedPrecondition)
	}
	if len(spec.Command) == 0 {
		return nil, apierr.InvalidArgument("job.command", "a run needs a command")
	}
	labels, err := runLabels(spec)
	if err != nil {
		return nil, err
	}
	manifest, err := json.Marshal(podhelper.Manifest{Run: spec.Run, Files: spec.Files, Inputs: spec.Inputs, Outputs: spec.Outputs, Export: spec.Export})
	if err != nil {
		return nil, err
	}
	resources, err := b.resources(spec.Resources)
	if err != nil {
		return nil, err
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: JobName(spec.Run), Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr(int32(0)),
			Template: corev1.PodTemplateSpec{
				// Only the Pod needs the manifest (its downward-API volume reads it), so it is not on the Job too.
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{AnnotationManifest: string(manifest)}},
				Spec:       b.podSpec(spec, resources),
			},
		},
	}
	if spec.Timeout > 0 {
		job.Spec.ActiveDeadlineSeconds = ptr(int64((spec.Timeout + time.Second - 1) / time.Second))
	}
	return job, nil
}

// runLabels are the user's labels plus kamld's, which win. A label Kubernetes would refuse is an
// INVALID_ARGUMENT naming it, rather than the API server's error about a Job the user never wrote.
func runLabels(spec compute.Spec) (map[string]string, error) {
	var violations []apierr.FieldViolation
	for _, k := range slices.Sorted(maps.Keys(spec.Labels)) {
		for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(spec.Labels[k])...) {
			violations = append(violations, apierr.FieldViolation{Field: "job.labels[" + k + "]", Description: msg})
		}
	}
	if len(violations) > 0 {
		return nil, apierr.InvalidArguments(violations)
	}
	labels := maps.Clone(spec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelManagedBy] = managedBy
	labels[LabelJob] = spec.Run.Job
	labels[LabelAttempt] = strconv.Itoa(spec.Run.Attempt)
	return labels, nil
}

// resources requests what the run asks for. Memory and GPUs are also limits (the run is killed rather than
// starving its neighbours); CPU is only requested, so an idle node's spare cycles are not wasted.
func (b *Backend) resources(r compute.Resources) (corev1.ResourceRequirements, error) {
	req := corev1.ResourceList{}
	lim := corev1.ResourceList{}
	if r.MilliCPU > 0 {
		req[corev1.ResourceCPU] = *resource.NewMilliQuantity(r.MilliCPU, resource.DecimalSI)
	}
	if r.MemoryBytes > 0 {
		q := *resource.NewQuantity(r.MemoryBytes, resource.BinarySI)
		req[corev1.ResourceMemory], lim[corev1.ResourceMemory] = q, q
	}
	if r.GPUs < 0 {
		return corev1.ResourceRequirements{}, apierr.InvalidArgument("job.resources.gpu", "must not be negative")
	}
	if r.GPUs > 0 {
		q := *resource.NewQuantity(int64(r.GPUs), resource.DecimalSI)
		name := corev1.ResourceName(b.opts.GPUResource)
		req[name], lim[name] = q, q
	}
	return corev1.ResourceRequirements{Requests: req, Limits: lim}, nil
}

// podSpec is the run's Pod: the helper's init container, then the user's image running the helper as a
// wrapper around the command.
func (b *Backend) podSpec(spec compute.Spec, resources corev1.ResourceRequirements) corev1.PodSpec {
	mounts := []corev1.VolumeMount{
		{Name: "work", MountPath: WorkDir},
		{Name: "kamld", MountPath: helperDir + "/bin"},
		{Name: "manifest", MountPath: helperDir + "/spec", ReadOnly: true},
	}
	var envFrom []corev1.EnvFromSource
	if b.opts.StoreSecret != "" {
		envFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: b.opts.StoreSecret}}}}
	}
	return corev1.PodSpec{
		RestartPolicy:      corev1.RestartPolicyNever,
		ServiceAccountName: b.opts.ServiceAccount,
		NodeSelector:       spec.NodeSelector,
		Volumes: []corev1.Volume{
			{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "kamld", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "manifest", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
				Items: []corev1.DownwardAPIVolumeFile{{
					Path:     "manifest.json",
					FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['" + AnnotationManifest + "']"},
				}},
			}}},
		},
		InitContainers: []corev1.Container{{
			Name:         FetchContainer,
			Image:        b.opts.HelperImage,
			Command:      []string{helperName, "fetch", "--manifest", manifestPath, "--workdir", WorkDir, "--install", helperBinary},
			EnvFrom:      envFrom,
			VolumeMounts: mounts,
		}},
		Containers: []corev1.Container{{
			Name:                     RunContainer,
			Image:                    spec.Image,
			Command:                  append([]string{helperBinary, "run", "--manifest", manifestPath, "--workdir", WorkDir, "--"}, spec.Command...),
			WorkingDir:               WorkDir,
			Env:                      runEnv(spec),
			EnvFrom:                  envFrom,
			Resources:                resources,
			VolumeMounts:             mounts,
			TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}},
	}
}

// runEnv is the user's environment plus KAMLD_JOB, KAMLD_ATTEMPT and KAMLD_WORKDIR, sorted for a stable Job.
func runEnv(spec compute.Spec) []corev1.EnvVar {
	env := make([]corev1.EnvVar, 0, len(spec.Env)+3)
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		env = append(env, corev1.EnvVar{Name: k, Value: spec.Env[k]})
	}
	return append(env,
		corev1.EnvVar{Name: "KAMLD_JOB", Value: spec.Run.Job},
		corev1.EnvVar{Name: "KAMLD_ATTEMPT", Value: strconv.Itoa(spec.Run.Attempt)},
		corev1.EnvVar{Name: "KAMLD_WORKDIR", Value: WorkDir},
	)
}

// cancelPatch marks the Job cancelled and suspended; started keeps the command's start time, if it started.
func cancelPatch(now, started time.Time) []byte {
	annotations := map[string]string{AnnotationCancelled: now.UTC().Format(time.RFC3339Nano)}
	if !started.IsZero() {
		annotations[AnnotationStarted] = started.UTC().Format(time.RFC3339Nano)
	}
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": annotations},
		"spec":     map[string]any{"suspend": true},
	})
	return patch
}

func ptr[T any](v T) *T { return &v }
