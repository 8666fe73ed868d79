package job

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/compute"
)

// Flavor is a named job environment with several images for different hardware, in the spirit of kabinet's
// flavours: a job names the flavor ("pytorch"), and the image that best fits what the backend offers is
// chosen at submit and recorded on the job.
type Flavor struct {
	Name        string  `yaml:"name"`
	Description string  `yaml:"description"`
	Images      []Image `yaml:"images"`
}

// Image is one image of a flavor and the hardware it needs.
type Image struct {
	// Image is a container image reference, or the name of a local environment ("host").
	Image     string    `yaml:"image"`
	Selectors Selectors `yaml:"selectors"`
}

// Selectors state what hardware an image needs; empty fields match anything.
type Selectors struct {
	GPUVendor   string `yaml:"gpu_vendor"`
	GPUCount    int    `yaml:"gpu_count"`
	CUDAVersion string `yaml:"cuda_version"`
	Arch        string `yaml:"arch"`
	MinMemory   string `yaml:"min_memory"`
}

// DefaultFlavors is what a sidecar offers without a flavors file: "cpu", the sidecar's own environment
// locally and a slim Python image on Kubernetes.
func DefaultFlavors() []Flavor {
	return []Flavor{{
		Name:        "cpu",
		Description: "Python on CPUs: the sidecar's own environment locally, python:3.11-slim on Kubernetes",
		Images:      []Image{{Image: "host"}, {Image: "python:3.11-slim"}},
	}}
}

// LoadFlavors reads a YAML file `flavors: [{name, description, images: [{image, selectors}]}]`; an empty
// path gives DefaultFlavors.
func LoadFlavors(path string) ([]Flavor, error) {
	if path == "" {
		return DefaultFlavors(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("flavors: %w", err)
	}
	var doc struct {
		Flavors []Flavor `yaml:"flavors"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("flavors file %s: %w", path, err)
	}
	if err := checkFlavors(doc.Flavors); err != nil {
		return nil, fmt.Errorf("flavors file %s: %w", path, err)
	}
	return doc.Flavors, nil
}

func checkFlavors(fs []Flavor) error {
	seen := map[string]bool{}
	for i, f := range fs {
		if f.Name == "" || seen[f.Name] {
			return fmt.Errorf("flavor %d: a unique name is required", i)
		}
		seen[f.Name] = true
		if len(f.Images) == 0 {
			return fmt.Errorf("flavor %s has no images", f.Name)
		}
		for _, im := range f.Images {
			if im.Image == "" {
				return fmt.Errorf("flavor %s: an image has no name", f.Name)
			}
			if s := im.Selectors.MinMemory; s != "" {
				if _, err := ParseQuantity(s, 1); err != nil {
					return fmt.Errorf("flavor %s, image %s: min_memory: %w", f.Name, im.Image, err)
				}
			}
		}
	}
	return nil
}

// runsOn reports whether the image can run on the offer, and if not, why.
func (im Image) runsOn(o compute.Offer) (bool, string) {
	if o.Containers {
		if slicesContains(o.Environments, im.Image) || im.Image == "host" {
			return false, "is a local environment, not a container image"
		}
	} else if !slicesContains(o.Environments, im.Image) {
		return false, fmt.Sprintf("is not one of the local environments %v", o.Environments)
	}
	s := im.Selectors
	switch {
	case s.Arch != "" && s.Arch != o.Arch:
		return false, fmt.Sprintf("needs %s, the machine is %s", s.Arch, o.Arch)
	case s.GPUVendor != "" && s.GPUVendor != o.GPUVendor:
		return false, fmt.Sprintf("needs %s GPUs, the machine has %s", s.GPUVendor, orNone(o.GPUVendor))
	case s.GPUCount > o.GPUs:
		return false, fmt.Sprintf("needs %d GPUs, the machine has %d", s.GPUCount, o.GPUs)
	case s.CUDAVersion != "" && versionLess(o.CUDAVersion, s.CUDAVersion):
		return false, fmt.Sprintf("needs CUDA %s, the machine has %s", s.CUDAVersion, orNone(o.CUDAVersion))
	}
	if s.MinMemory != "" {
		if need, err := ParseQuantity(s.MinMemory, 1); err == nil && need > o.MemoryBytes {
			return false, fmt.Sprintf("needs %s of memory, the machine has %d bytes", s.MinMemory, o.MemoryBytes)
		}
	}
	return true, ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// versionLess compares dotted versions numerically ("12.4" < "12.10"); an empty have is less than anything.
func versionLess(have, want string) bool {
	if have == "" {
		return true
	}
	h, w := strings.Split(have, "."), strings.Split(want, ".")
	for i := range max(len(h), len(w)) {
		a, b := part(h, i), part(w, i)
		if a != b {
			return a < b
		}
	}
	return false
}

func part(xs []string, i int) int {
	if i >= len(xs) {
		return 0
	}
	n, _ := strconv.Atoi(xs[i])
	return n
}

// fitsAny reports whether the image runs on any offer; why explains the first refusal otherwise.
func (im Image) fitsAny(offers []compute.Offer) (bool, string) {
	why := "the backend offers no machines"
	for _, o := range offers {
		ok, w := im.runsOn(o)
		if ok {
			return true, ""
		}
		why = w
	}
	return false, why
}

// specificity ranks images: the more an image asks of the hardware, the better it is when it fits.
func (im Image) specificity() int {
	s := im.Selectors
	n := 0
	for _, set := range []bool{s.GPUVendor != "", s.GPUCount > 0, s.CUDAVersion != "", s.Arch != "", s.MinMemory != ""} {
		if set {
			n++
		}
	}
	return n*100 + s.GPUCount
}

// Choose picks the flavor's best image for what the backend offers and the job asks: images that fit no
// offer are out; a job without GPUs does not take an image that needs them, and a job with GPUs prefers
// one that does; among the rest the most specific wins, ties going to the first listed.
func Choose(f Flavor, offers []compute.Offer, r compute.Resources) (Image, error) {
	best, bestScore := -1, -1
	var why []string
	for i, im := range f.Images {
		if ok, w := im.fitsAny(offers); !ok {
			why = append(why, im.Image+" "+w)
			continue
		}
		needsGPU := im.Selectors.GPUCount > 0 || im.Selectors.GPUVendor != ""
		if needsGPU && r.GPUs == 0 {
			why = append(why, im.Image+" needs GPUs and the job asks for none")
			continue
		}
		score := im.specificity()
		if needsGPU && r.GPUs > 0 {
			score += 10000
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return Image{}, fmt.Errorf("flavor %q has no image for this backend (%s): %w", f.Name, strings.Join(why, "; "), apierr.ErrFailedPrecondition)
	}
	return f.Images[best], nil
}
