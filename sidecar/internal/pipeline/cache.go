package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kamld/kamld/sidecar/internal/resource"
)

// The parts of a step's cache key, in the order the plan names them.
var keyPartNames = []string{"inputs", "command", "files", "image", "env", "parameters", "outputs"}

// keyOf computes a step's cache key from the job it would run (inputs resolved to snapshots, environment
// merged) and the image the backend would use. Each part is kept so that a plan can say which changed;
// inputs and image are kept readable, the others as digests.
func keyOf(spec JobSpec, image string, params map[string]string) (string, map[string]string) {
	parts := map[string]string{"image": image}
	var in []string
	for _, i := range spec.Inputs {
		in = append(in, i.Path+"="+i.Ref)
	}
	slices.Sort(in)
	parts["inputs"] = strings.Join(in, ", ")
	parts["command"] = digest(append(slices.Clone(spec.Command), "\x00notebook", spec.Notebook)...)
	var files []string
	for _, f := range spec.Files {
		sum := sha256.Sum256(f.Content)
		files = append(files, fmt.Sprintf("%s:%x:%t", f.Path, sum, f.Executable))
	}
	slices.Sort(files)
	parts["files"] = digest(files...)
	parts["env"] = digest(sortedPairs(spec.Env)...)
	parts["parameters"] = digest(sortedPairs(params)...)
	var outs []string
	for _, o := range spec.Outputs {
		outs = append(outs, o.Path+"="+o.Dataset)
	}
	slices.Sort(outs)
	parts["outputs"] = digest(outs...)
	var all []string
	for _, n := range keyPartNames {
		all = append(all, n+"="+parts[n])
	}
	return digest(all...), parts
}

func digest(items ...string) string {
	h := sha256.New()
	for _, s := range items {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedPairs(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

// imageNote says when the image part of the key cannot see a change: anything but a digest reference.
func imageNote(image string) string {
	switch {
	case strings.Contains(image, "@sha256:"):
		return ""
	case image == "host":
		return "image host is the sidecar's own environment, not a digest: a change to it (a new package) is not detected"
	default:
		return fmt.Sprintf("image %s is a tag, not a digest: a new image pushed under the same tag is not detected", image)
	}
}

// cacheEntry is a successful step, found by its key.
type cacheEntry struct {
	Key      string            `json:"key"`
	Parts    map[string]string `json:"parts"`
	Run      string            `json:"run"`
	Step     string            `json:"step"`
	Job      string            `json:"job"`
	Outputs  map[string]string `json:"outputs"`
	Exported map[string]string `json:"exported,omitempty"`
	Time     time.Time         `json:"time"`
}

func cacheKey(key string) string { return cachePrefix + key }
func lastKey(pipeline, step string) string {
	return lastPrefix + pipeline + "/" + step
}

// lookup returns the usable cache entry for key, or nil with the reason it is not usable.
func (m *Manager) lookup(ctx context.Context, key string) (*cacheEntry, string, error) {
	var e cacheEntry
	ok, err := getJSON(ctx, m.store, cacheKey(key), &e)
	if err != nil || !ok {
		return nil, "", err
	}
	for folder, ref := range e.Outputs {
		sr, err := resource.ParseShortRef(ref)
		if err != nil {
			return nil, "its earlier outputs are unreadable", nil
		}
		if _, err := m.datasets.GetSnapshot(ctx, sr.Dataset, sr.Ref.String()); err != nil {
			return nil, fmt.Sprintf("the earlier output %s (%s) is gone", folder, ref), nil
		}
	}
	return &e, "", nil
}

// why explains a cache miss by comparing the key parts with the step's latest success in this pipeline.
func (m *Manager) why(ctx context.Context, pipeline, step string, parts map[string]string, gone string) ([]string, error) {
	if gone != "" {
		return []string{gone}, nil
	}
	var last cacheEntry
	ok, err := getJSON(ctx, m.store, lastKey(pipeline, step), &last)
	if err != nil {
		return nil, err
	}
	if !ok {
		return []string{"no earlier successful run of this step"}, nil
	}
	var out []string
	for _, n := range keyPartNames {
		if last.Parts[n] == parts[n] {
			continue
		}
		switch n {
		case "inputs", "image":
			out = append(out, fmt.Sprintf("%s changed: %s → %s", n, orNone(last.Parts[n]), orNone(parts[n])))
		default:
			out = append(out, n+" changed")
		}
	}
	if len(out) == 0 {
		out = []string{"no earlier success with this key is recorded"}
	}
	return out, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// remember records a successful step under its key, and as its step's latest success.
func (m *Manager) remember(ctx context.Context, r *Run, s *StepRun) error {
	e := cacheEntry{Key: s.Key, Parts: s.KeyParts, Run: r.ID, Step: s.Name, Outputs: s.Outputs, Exported: s.Exported, Time: m.now()}
	if n := len(s.Jobs); n > 0 {
		e.Job = s.Jobs[n-1]
	}
	if err := putJSON(ctx, m.store, cacheKey(s.Key), e); err != nil {
		return err
	}
	return putJSON(ctx, m.store, lastKey(r.Pipeline, s.Name), e)
}
