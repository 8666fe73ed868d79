package kubernetes

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// gpuResources maps the extended resources of the common device plugins to a vendor.
var gpuResources = map[corev1.ResourceName]string{"nvidia.com/gpu": "nvidia", "amd.com/gpu": "amd"}

// cudaLabels are the node labels NVIDIA's GPU feature discovery sets for the driver's CUDA version (newer
// releases first).
var cudaLabels = [][2]string{
	{"nvidia.com/cuda.driver-version.major", "nvidia.com/cuda.driver-version.minor"},
	{"nvidia.com/cuda.driver.major", "nvidia.com/cuda.driver.minor"},
}

// Offers groups the cluster's schedulable nodes by shape (architecture, allocatable CPU and memory, GPUs,
// CUDA). Reading nodes needs a ClusterRole (docs/jobs.md, charts/kamld/templates/rbac.yaml); without it Offers says so.
func (b *Backend) Offers(ctx context.Context) ([]compute.Offer, error) {
	nodes, err := b.api.listNodes(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, mapErr(err, "listing nodes for flavor matching")
	}
	seen := map[string]bool{}
	var out []compute.Offer
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if n.Spec.Unschedulable {
			continue
		}
		o := offerOf(n)
		key := fmt.Sprintf("%s/%d/%d/%s/%d/%s", o.Arch, o.MilliCPU, o.MemoryBytes, o.GPUVendor, o.GPUs, o.CUDAVersion)
		if !seen[key] {
			seen[key] = true
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("kubernetes: the cluster has no schedulable node: %w", apierr.ErrUnavailable)
	}
	return out, nil
}

func offerOf(n *corev1.Node) compute.Offer {
	alloc := n.Status.Allocatable
	o := compute.Offer{
		Arch:        n.Labels[corev1.LabelArchStable],
		MilliCPU:    alloc.Cpu().MilliValue(),
		MemoryBytes: alloc.Memory().Value(),
		Containers:  true,
		Labels:      maps.Clone(n.Labels),
	}
	if o.Arch == "" {
		o.Arch = n.Status.NodeInfo.Architecture
	}
	for name, vendor := range gpuResources {
		if q, ok := alloc[name]; ok && q.Value() > 0 {
			o.GPUVendor, o.GPUs = vendor, int(q.Value())
		}
	}
	for _, l := range cudaLabels {
		if major, ok := n.Labels[l[0]]; ok {
			o.CUDAVersion = major + "." + n.Labels[l[1]]
			if n.Labels[l[1]] == "" {
				o.CUDAVersion = major
			}
			break
		}
	}
	return o
}
