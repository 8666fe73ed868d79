package local

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/kamld/kamld/sidecar/internal/compute"
)

// scheduler admits runs while the CPU and memory they ask for fit the machine, so ten runs asking for a core
// each on a two-core machine wait their turn (Pending/WaitingForResources) instead of thrashing, and a run
// asking for more than the machine has is Unschedulable rather than waiting forever without saying why.
type scheduler struct {
	mu          sync.Mutex
	offer       compute.Offer
	cpu, memory int64 // reserved
}

func newScheduler(offer compute.Offer) *scheduler { return &scheduler{offer: offer} }

// unschedulable says why a request can never fit this machine, or "".
func (s *scheduler) unschedulable(r compute.Resources) string {
	switch {
	case r.GPUs > s.offer.GPUs:
		return fmt.Sprintf("asks for %d GPUs; this machine has %d", r.GPUs, s.offer.GPUs)
	case r.MilliCPU > s.offer.MilliCPU:
		return fmt.Sprintf("asks for %dm CPU; this machine has %dm", r.MilliCPU, s.offer.MilliCPU)
	case r.MemoryBytes > s.offer.MemoryBytes:
		return fmt.Sprintf("asks for %d bytes of memory; this machine has %d", r.MemoryBytes, s.offer.MemoryBytes)
	}
	return ""
}

// tryReserve reserves r if it fits beside what is reserved.
func (s *scheduler) tryReserve(r compute.Resources) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cpu+r.MilliCPU > s.offer.MilliCPU || s.memory+r.MemoryBytes > s.offer.MemoryBytes {
		return false
	}
	s.cpu, s.memory = s.cpu+r.MilliCPU, s.memory+r.MemoryBytes
	return true
}

// force reserves r even when it does not fit: a run found already running after a restart.
func (s *scheduler) force(r compute.Resources) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cpu, s.memory = s.cpu+r.MilliCPU, s.memory+r.MemoryBytes
}

func (s *scheduler) release(r compute.Resources) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cpu, s.memory = s.cpu-r.MilliCPU, s.memory-r.MemoryBytes
}

// hostOffer describes this machine: its architecture, cores, memory and NVIDIA GPUs (from the driver's
// /proc entries; CUDA's version is not readable without the driver's tools, so it stays empty).
func hostOffer() compute.Offer {
	o := compute.Offer{Arch: runtime.GOARCH, MilliCPU: int64(runtime.NumCPU()) * 1000, MemoryBytes: memTotal(),
		Environments: []string{HostEnvironment}}
	if gpus, err := os.ReadDir("/proc/driver/nvidia/gpus"); err == nil && len(gpus) > 0 {
		o.GPUVendor, o.GPUs = "nvidia", len(gpus)
	}
	return o
}

func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 1 << 30
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 1 << 30
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
