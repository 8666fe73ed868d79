package job

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

var (
	laptop  = compute.Offer{Arch: "amd64", MilliCPU: 8000, MemoryBytes: 16 << 30, Environments: []string{"host"}}
	gpuNode = compute.Offer{Arch: "amd64", MilliCPU: 32000, MemoryBytes: 128 << 30, GPUVendor: "nvidia", GPUs: 4, CUDAVersion: "12.4", Containers: true}
	armNode = compute.Offer{Arch: "arm64", MilliCPU: 16000, MemoryBytes: 64 << 30, Containers: true}
)

var pytorch = Flavor{Name: "pytorch", Images: []Image{
	{Image: "host"},
	{Image: "pytorch:cpu-arm", Selectors: Selectors{Arch: "arm64"}},
	{Image: "pytorch:cpu"},
	{Image: "pytorch:cuda12.1", Selectors: Selectors{GPUVendor: "nvidia", GPUCount: 1, CUDAVersion: "12.1"}},
	{Image: "pytorch:cuda12.8", Selectors: Selectors{GPUVendor: "nvidia", GPUCount: 1, CUDAVersion: "12.8"}},
}}

func TestChoose(t *testing.T) {
	for _, c := range []struct {
		name   string
		offers []compute.Offer
		gpus   int
		want   string
	}{
		{"local runs the host environment", []compute.Offer{laptop}, 0, "host"},
		{"cpu job on a gpu cluster takes no gpu image", []compute.Offer{gpuNode}, 0, "pytorch:cpu"},
		{"gpu job takes the cuda image the driver supports", []compute.Offer{gpuNode}, 1, "pytorch:cuda12.1"},
		{"arm nodes prefer the arm image", []compute.Offer{armNode}, 0, "pytorch:cpu-arm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			im, err := Choose(pytorch, c.offers, compute.Resources{GPUs: c.gpus})
			require.NoError(t, err)
			assert.Equal(t, c.want, im.Image)
		})
	}
	_, err := Choose(Flavor{Name: "cuda", Images: []Image{{Image: "x", Selectors: Selectors{GPUCount: 1}}}}, []compute.Offer{gpuNode}, compute.Resources{GPUs: 0})
	assert.ErrorIs(t, err, apierr.ErrFailedPrecondition)
	_, err = Choose(Flavor{Name: "k8s-only", Images: []Image{{Image: "python:3.11"}}}, []compute.Offer{laptop}, compute.Resources{})
	assert.ErrorIs(t, err, apierr.ErrFailedPrecondition)
	assert.Contains(t, err.Error(), "not one of the local environments")
}

func TestVersionLess(t *testing.T) {
	assert.True(t, versionLess("12.4", "12.10"))
	assert.False(t, versionLess("12.10", "12.4"))
	assert.False(t, versionLess("12.4", "12.4"))
	assert.True(t, versionLess("", "11"))
}
