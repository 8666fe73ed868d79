package job

import (
	"context"
	"errors"
	"fmt"

	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// commitOutputs commits each output dataset's draft of the job's branch (where the backend stored the run's
// output files) as a snapshot with the job's lineage and merges the branch into main — exactly once per
// output, across crashes and restarts (a merge done already is up to date):
//
//  1. An output already recorded in Committed is done.
//  2. Otherwise the dataset's history is searched (newest first, back to the job's submission) for a
//     snapshot whose lineage names this job: one found was committed by an earlier driver that died before
//     recording it; it is recorded, not committed again.
//  3. Otherwise the snapshot is taken, then recorded.
//
// Only one driver runs a job at a time (one per backend instance, one goroutine per job), so nothing
// commits between 2 and 3.
func (d *driver) commitOutputs(ctx context.Context) error {
	r, err := loadRecord(ctx, d.m.store, d.id)
	if err != nil {
		return err
	}
	for _, out := range r.Job.Outputs {
		id, _ := resource.ParseDatasetName("", out.Dataset)
		if r.Committed[id] != "" {
			d.dropBranch(ctx, r, id) // a driver that died after recording may have left it
			continue
		}
		snap, err := d.findCommitted(ctx, r, r.outputTarget(id))
		if err != nil {
			return err
		}
		if snap == nil {
			msg := out.Message
			if msg == "" {
				msg = "output of " + r.Job.Name
			}
			snap, err = d.m.datasets.CreateSnapshot(ctx, r.outputTarget(id), dataset.SnapshotOptions{
				Message: msg, Author: r.Job.Owner, AllowEmpty: true, Lineage: d.lineage(r),
			})
			if err != nil {
				return fmt.Errorf("snapshot of %s: %w", out.Dataset, err)
			}
		}
		if err := d.mergeOutputs(ctx, r, id); err != nil { // idempotent: merged already is up to date
			return err
		}
		name := resource.DatasetName(id) + "/snapshots/" + snap.ID
		if r, err = update(ctx, d.m.store, d.id, func(r *record) error {
			if r.Committed == nil {
				r.Committed = map[string]string{}
			}
			r.Committed[id] = name
			r.Job.OutputSnapshots = append(r.Job.OutputSnapshots, name)
			return nil
		}); err != nil {
			return err
		}
		d.dropBranch(ctx, r, id)
	}
	return nil
}

func (d *driver) lineage(r *record) *dataset.Lineage {
	l := &dataset.Lineage{Job: r.Job.Name, Image: r.Job.Image, CodeDigest: r.Job.CodeDigest}
	for _, in := range r.Job.Inputs {
		l.Inputs = append(l.Inputs, in.Snapshot)
	}
	return l
}

// findCommitted returns the snapshot of dataset id (or branch "id@branch") whose lineage names the job, or nil.
func (d *driver) findCommitted(ctx context.Context, r *record, id string) (*dataset.Snapshot, error) {
	created := r.Job.CreateTime.AsTime()
	page := dataset.Page{Size: 100}
	for {
		snaps, next, err := d.m.datasets.ListSnapshots(ctx, id, page)
		if errors.Is(err, apierr.ErrNotFound) {
			return nil, fmt.Errorf("output dataset %s (or the job's branch of it) was deleted: %w", id, apierr.ErrFailedPrecondition)
		}
		if err != nil {
			return nil, err
		}
		for _, s := range snaps {
			if s.Lineage != nil && s.Lineage.Job == r.Job.Name {
				return s, nil
			}
			if s.CreateTime.Before(created) {
				return nil, nil
			}
		}
		if next == "" {
			return nil, nil
		}
		page.Token = next
	}
}
