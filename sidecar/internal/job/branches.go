package job

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// A job writes its outputs to a branch of each output dataset of its own, created from the dataset's head at
// submit, and merges it into main when it succeeded: its snapshot then holds exactly what it wrote on top of
// that head, whatever else was written to the dataset meanwhile (docs/branches.md).

// outputBranch names the branch of job jobID: "job.<id>", or a digest of the id when that would be too long.
func outputBranch(jobID string) string {
	name := "job." + jobID
	if len(name) > resource.MaxIDLength {
		sum := sha256.Sum256([]byte(jobID))
		name = "job." + hex.EncodeToString(sum[:12])
	}
	return name
}

// branchOutputs creates the job's branch in every output dataset (prepare created the datasets). A branch
// that exists already is one an earlier, identical submit of this id created.
func (m *Manager) branchOutputs(ctx context.Context, r *record, jobID, owner string) error {
	if len(r.Job.Outputs) == 0 {
		return nil
	}
	r.OutputBranch = outputBranch(jobID)
	for _, out := range r.Job.Outputs {
		id, _ := resource.ParseDatasetName("", out.Dataset)
		if _, err := m.datasets.CreateBranch(ctx, id, r.OutputBranch, "", owner); err != nil && !errors.Is(err, apierr.ErrAlreadyExists) {
			return fmt.Errorf("output dataset %s: branch %s: %w", out.Dataset, r.OutputBranch, err)
		}
	}
	return nil
}

// outputTarget is the engine id the run writes dataset id's outputs to: its branch, or (records written
// before branches) the dataset itself.
func (r *record) outputTarget(id string) string {
	if r.OutputBranch == "" {
		return id
	}
	return id + "@" + r.OutputBranch
}

// mergeOutputs merges the job's branch of dataset id into main. A conflict fails with the conflict list and
// keeps the branch, so nothing the job wrote is lost and a person can resolve it.
func (d *driver) mergeOutputs(ctx context.Context, r *record, id string) error {
	if r.OutputBranch == "" {
		return nil
	}
	_, err := d.m.datasets.MergeBranch(ctx, id, r.OutputBranch, resource.DefaultBranch, dataset.MergeOptions{
		Message: "merge outputs of " + r.Job.Name, Author: r.Job.Owner,
	})
	var ce *dataset.MergeConflictError
	if errors.As(err, &ce) {
		return fmt.Errorf("merging branch %s of %s into main: %d conflicting paths (%s); the branch is kept with the job's outputs: merge it with a strategy (kamld merge): %w",
			r.OutputBranch, id, len(ce.Conflicts), conflictList(ce, 20), apierr.ErrFailedPrecondition)
	}
	return err
}

// conflictList renders up to most conflicts as "path (ours sha256:… 12 B, theirs sha256:… 14 B)".
func conflictList(ce *dataset.MergeConflictError, most int) string {
	side := func(f *dataset.FileInfo) string {
		if f == nil {
			return "absent"
		}
		return fmt.Sprintf("%s %d B", f.Digest, f.Size)
	}
	var parts []string
	for _, c := range ce.Conflicts[:min(len(ce.Conflicts), most)] {
		parts = append(parts, fmt.Sprintf("%s (ours %s, theirs %s)", c.Path, side(c.Ours), side(c.Theirs)))
	}
	if len(ce.Conflicts) > most {
		parts = append(parts, fmt.Sprintf("and %d more", len(ce.Conflicts)-most))
	}
	return strings.Join(parts, "; ")
}

// dropBranch deletes the job's branch of dataset id once its outputs are merged and recorded; best effort (a
// branch left behind holds nothing that is not in main).
func (d *driver) dropBranch(ctx context.Context, r *record, id string) {
	if r.OutputBranch == "" {
		return
	}
	if err := d.m.datasets.DeleteBranch(ctx, id, r.OutputBranch); err != nil && !errors.Is(err, apierr.ErrNotFound) {
		d.m.log.Warn("job: deleting the merged output branch", "job", r.Job.Name, "dataset", id, "branch", r.OutputBranch, "err", err)
	}
}

// dropBranches deletes the job's branches of all output datasets (a run that failed or was cancelled).
func (d *driver) dropBranches(ctx context.Context, r *record) {
	for _, out := range r.Job.Outputs {
		id, _ := resource.ParseDatasetName("", out.Dataset)
		d.dropBranch(ctx, r, id)
	}
}
