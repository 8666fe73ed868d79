package dataset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/resource"
)

// CreateBranch creates branch name of dataset id at the snapshot ref names ("" = the default branch's head;
// a branch name = its head; a dataset with no snapshot yet gives an empty branch). It writes one pointer: no
// data or manifest is copied, whatever the dataset's size. The new branch's draft is empty (its head's tree).
// ErrAlreadyExists when a branch or a tag has that name: both are written after "@" in a ref.
func (e *Engine) CreateBranch(ctx context.Context, id, name, ref, author string) (*Branch, error) {
	if err := resource.ValidateBranchName(name); err != nil {
		return nil, apierr.InvalidArgument("branch_id", "%v", err)
	}
	if err := validateText("author", author, MaxAuthorBytes); err != nil {
		return nil, err
	}
	d, err := e.open(ctx, access.Writer, "parent", id)
	if err != nil {
		return nil, err
	}
	if name == resource.DefaultBranch {
		return nil, fmt.Errorf("branch %q of dataset %q: %w", name, d.id, apierr.ErrAlreadyExists)
	}
	if err := d.noTagNamed(ctx, name); err != nil {
		return nil, err
	}
	from, err := d.branchBase(ctx, ref)
	if err != nil {
		return nil, err
	}
	var old branchRecord
	ver, err := getJSON(ctx, e.blobs, d.keys.branch(name), &old)
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return nil, err
	}
	if err == nil && !old.Deleted {
		return nil, fmt.Errorf("branch %q of dataset %q: %w", name, d.id, apierr.ErrAlreadyExists)
	}
	br := branchRecord{Head: from, Finished: true, Draft: randomID(), Author: author, Time: e.clock(), From: from.ID}
	if _, err := putJSON(ctx, e.blobs, d.keys.branch(name), br, blob.SwapOptions(ver)); err != nil {
		if lostRace(err) {
			return nil, fmt.Errorf("branch %q of dataset %q was created concurrently: %w", name, d.id, apierr.ErrAlreadyExists)
		}
		return nil, err
	}
	return br.branch(name), nil
}

// branchBase resolves the snapshot a new branch starts at.
func (d *ds) branchBase(ctx context.Context, ref string) (snapRecord, error) {
	r, err := parseRef("branch.from", ref)
	if err != nil {
		return snapRecord{}, err
	}
	if r.Kind == resource.RefDraft {
		return snapRecord{}, apierr.InvalidArgument("branch.from", "a branch starts at a snapshot, not at a draft")
	}
	if r.Kind == resource.RefLatest {
		main, err := d.onBranch(ctx, resource.DefaultBranch)
		if err != nil {
			return snapRecord{}, err
		}
		h, _, err := main.loadHead(ctx)
		return h, err
	}
	return d.resolve(ctx, "branch.from", r)
}

// noTagNamed fails with ErrAlreadyExists when a live tag has the name: branches and tags share the ref
// namespace of a dataset. (A tag and a branch created concurrently with one name can both succeed; the branch
// then wins when refs are resolved.)
func (d *ds) noTagNamed(ctx context.Context, name string) error {
	var t tagRecord
	_, err := getJSON(ctx, d.e.blobs, d.keys.tag(name), &t)
	if err == nil && !t.Deleted {
		return fmt.Errorf("%q is a tag of dataset %q; branches and tags share one namespace: %w", name, d.id, apierr.ErrAlreadyExists)
	}
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return err
	}
	return nil
}

// noBranchNamed fails with ErrAlreadyExists when a live branch has the name.
func (d *ds) noBranchNamed(ctx context.Context, name string) error {
	if _, err := d.onBranch(ctx, name); err == nil {
		return fmt.Errorf("%q is a branch of dataset %q; branches and tags share one namespace: %w", name, d.id, apierr.ErrAlreadyExists)
	} else if !errors.Is(err, apierr.ErrNotFound) {
		return err
	}
	return nil
}

// ListBranches lists the dataset's live branches by name (the default branch among them).
func (e *Engine) ListBranches(ctx context.Context, id string, page Page) ([]*Branch, string, error) {
	d, err := e.open(ctx, access.Reader, "parent", id)
	if err != nil {
		return nil, "", err
	}
	cur, err := page.open("branches", id)
	if err != nil {
		return nil, "", err
	}
	var all []*Branch
	err = d.eachBranch(ctx, func(b *ds, br branchRecord) error {
		if b.branch > cur.after {
			all = append(all, br.branch(b.branch))
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(all, func(a, b *Branch) int { return strings.Compare(a.Name, b.Name) })
	if len(all) > cur.size {
		return all[:cur.size], cur.next(all[cur.size-1].Name), nil
	}
	return all, "", nil
}

// GetBranch returns one branch; ErrNotFound when it does not exist.
func (e *Engine) GetBranch(ctx context.Context, id, name string) (*Branch, error) {
	if err := resource.ValidateBranchName(name); err != nil {
		return nil, apierr.InvalidArgument("name", "branch %v", err)
	}
	d, err := e.open(ctx, access.Reader, "name", id+"@"+name)
	if err != nil {
		return nil, err
	}
	if _, _, err := d.loadHead(ctx); err != nil {
		return nil, err
	}
	br, _, err := d.readBranch(ctx)
	if err != nil {
		return nil, err
	}
	return br.branch(name), nil
}

// DeleteBranch deletes a branch: its pointer becomes a tombstone and its draft is dropped (garbage collection
// takes its entries). Its snapshots stay reachable by id, number and tags. The default branch cannot be
// deleted (ErrFailedPrecondition). A write racing the delete either lands before it (and goes with the draft)
// or fails with ErrNotFound.
func (e *Engine) DeleteBranch(ctx context.Context, id, name string) error {
	if err := resource.ValidateBranchName(name); err != nil {
		return apierr.InvalidArgument("name", "branch %v", err)
	}
	if name == resource.DefaultBranch {
		return fmt.Errorf("the default branch %q cannot be deleted: %w", name, apierr.ErrFailedPrecondition)
	}
	d, err := e.open(ctx, access.Writer, "name", id+"@"+name)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < e.retries; attempt++ {
		if _, _, err := d.loadHead(ctx); err != nil { // the head's records must exist before the pointer goes
			return err
		}
		br, ver, err := d.readBranch(ctx)
		if err != nil {
			return err
		}
		tomb := branchRecord{Head: br.Head, Finished: true, Time: e.clock(), Deleted: true}
		_, err = putJSON(ctx, e.blobs, d.keys.branch(name), tomb, blob.PutOptions{IfMatch: ver})
		if lostRace(err) {
			continue
		}
		return err
	}
	return abortedAfter("delete branch", e.retries)
}

// RenameBranch gives a branch a new name, keeping its head, history and draft. The default branch cannot be
// renamed. ErrAlreadyExists when the new name is a branch or a tag.
func (e *Engine) RenameBranch(ctx context.Context, id, name, newName string) (*Branch, error) {
	if err := resource.ValidateBranchName(name); err != nil {
		return nil, apierr.InvalidArgument("name", "branch %v", err)
	}
	if err := resource.ValidateBranchName(newName); err != nil {
		return nil, apierr.InvalidArgument("new_branch_id", "%v", err)
	}
	if name == resource.DefaultBranch {
		return nil, fmt.Errorf("the default branch %q cannot be renamed: %w", name, apierr.ErrFailedPrecondition)
	}
	if newName == resource.DefaultBranch || newName == name {
		return nil, fmt.Errorf("branch %q of dataset %q: %w", newName, id, apierr.ErrAlreadyExists)
	}
	d, err := e.open(ctx, access.Writer, "name", id+"@"+name)
	if err != nil {
		return nil, err
	}
	if err := d.noTagNamed(ctx, newName); err != nil {
		return nil, err
	}
	var taken branchRecord
	newVer, err := getJSON(ctx, e.blobs, d.keys.branch(newName), &taken)
	if err == nil && !taken.Deleted {
		return nil, fmt.Errorf("branch %q of dataset %q: %w", newName, d.id, apierr.ErrAlreadyExists)
	}
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return nil, err
	}
	for attempt := 0; attempt < e.retries; attempt++ {
		br, ver, err := d.readBranch(ctx)
		if err != nil {
			return nil, err
		}
		// The new name first, then the old one's tombstone: a commit to the old name in between makes the
		// tombstone lose, and the loop copies again. The new name only ever holds what this rename wrote.
		if newVer, err = putJSON(ctx, e.blobs, d.keys.branch(newName), br, blob.SwapOptions(newVer)); err != nil {
			if lostRace(err) {
				return nil, fmt.Errorf("branch %q of dataset %q was written concurrently: %w", newName, d.id, apierr.ErrAborted)
			}
			return nil, err
		}
		tomb := branchRecord{Head: br.Head, Finished: br.Finished, Draft: br.Draft, Time: e.clock(), Deleted: true, RenamedTo: newName}
		_, err = putJSON(ctx, e.blobs, d.keys.branch(name), tomb, blob.PutOptions{IfMatch: ver})
		if lostRace(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return br.branch(newName), nil
	}
	return nil, abortedAfter("rename branch", e.retries)
}
