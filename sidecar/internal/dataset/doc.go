// Package dataset is kamld's storage engine for datasets, branches, drafts, snapshots, tags and files
// (docs/architecture.md, docs/branches.md),
// on any blob.Store: a local directory or MinIO/S3. It is a library; the gRPC services, CLI and panel sit on
// top of Engine.
//
// # Key layout
//
//	blobs/sha256/<2 hex>/<64 hex>/data      file contents, once per digest, immutable. Each blob has a folder of
//	                                         its own so a Hive/Trino external table can point LOCATION at one
//	                                         blob in place; the 2-hex fan-out keeps fs directories small.
//	uploads/<random>                         staging for an ingest whose digest is not yet known; moved to blobs/
//	                                         (or copied, then deleted), or removed by GC once the writer died.
//	chunks/sha256/<2 hex>/<64 hex>           manifest leaves and roots (package manifest), immutable, shared.
//	meta/datasets/<id>                       dataset record (description, tags, labels, owner, times, and the
//	                                         incarnation uid). CAS only; its version is the dataset etag; a
//	                                         tombstone marks a deleted dataset.
//	datasets/<id>/<uid>/head                 legacy hint of main's head, written before branches existed; read
//	                                         once, when branches/main is created from it.
//	datasets/<id>/<uid>/branches/<name>      branch pointer: a copy of its head's record, its draft's id. CAS
//	                                         only; moving it is THE commit point; a tombstone marks a deleted
//	                                         or renamed branch. branches/main appears on first use.
//	datasets/<id>/<uid>/seqcounter           the last version number taken (all branches share one sequence).
//	datasets/<id>/<uid>/seq/<20-digit n>     snapshot record n, create-only, written once it is committed.
//	datasets/<id>/<uid>/ids/<snapshot id>    index id → n, create-only (id-prefix refs list this folder).
//	datasets/<id>/<uid>/draft                main's draft pointer: current generation + sealed ones (with restore bases
//	                                         and checkpoint indexes, draftindex.go). CAS only.
//	datasets/<id>/<uid>/drafts/<draft id>    another branch's draft pointer, named by its branch pointer.
//	datasets/<id>/<uid>/gens/<gen>/<sha256(path)>  one draft entry (file written or deleted) of a generation.
//	datasets/<id>/<uid>/gens/<gen>/batch-<random>  the entries of one batch upload (batch.go), one object.
//	datasets/<id>/<uid>/tags/<tag>           tag pointer, CAS only; a tombstone marks a deleted tag.
//	gc/sweeps/<run>-<n>                      marker of a garbage collection's batch of deletes in progress.
//	gc/clock/<run>                           probe a collection writes to read the store's clock; removed at once.
//
// A dataset's objects live under an incarnation uid, so deleting a dataset (tombstone first, then removing
// its objects best effort) and creating one of the same id can never mix their histories. No key is both an
// object and a folder of keys, which the fs store cannot hold.
//
// # Snapshots and history
//
// Every dataset has branches, each a line of history with a draft of its own; main is the default. A
// snapshot on a branch takes the next version number (compare-and-swap of seqcounter: one sequence for all
// branches, so "v7" names one snapshot), then is committed by compare-and-swap of the branch pointer from
// the head it was built on to its record (id, parent and the parent's number, manifest root, message,
// author, time, stats, lineage). A loser retries on the new head: a branch's history is linear, whatever the
// number of racing writers and sidecars; it skips numbers other branches (or lost attempts) took. The seq/
// record and id index are written after the commit by the committer or by any reader that finds the
// pointer unfinished — a pointer only moves on from a finished head — so a crash in between loses nothing.
// The snapshot id is hex sha256 over (manifest root, parent id, message, author, time), like a commit hash.
//
// Stores written before branches have no branches/main: its first reader creates it, create-only, from
// the legacy head (the head hint followed along seq/<n+1>, finishing a commit whose writer died) and keeps
// main's draft at the legacy key. Nothing else changes: no migration step.
//
// # Branches
//
// Creating a branch writes its pointer (head = any snapshot, a fresh draft id): constant time. Deleting
// writes a tombstone; its snapshots stay reachable by id, number and tags. Renaming copies the pointer to the
// new name, then tombstones the old one by compare-and-swap (a commit in between makes it copy again). A
// write to a branch's draft re-reads the branch after its entry is in: a write that returns success was in
// the draft while the branch was live. Merging (merge.go) is a commit with two parents: the target's head
// and the source; its tree is the target's with the source's changes since their common ancestor applied
// by path, found by diffing manifests against that ancestor (cost follows the changes).
//
// # The draft
//
// The draft is the head's tree plus the entries written since, kept as one object per entry (writers never
// contend on a shared list), or one object per batch upload, in generations named by the draft pointer. Within
// a generation entries apply in the order of their times, so of two writes of one path the later wins:
//
//  1. A writer stores the content (content-addressed, verified), puts its entry into the current generation,
//     then re-reads the pointer. If the generation is still current, no snapshot has sealed it yet, so the one
//     that does will list the entry; the write is done. Otherwise it puts the entry again into the new
//     current generation (applying an entry twice is idempotent) and checks again.
//  2. CreateSnapshot seals by compare-and-swap of the pointer: the current generation joins the sealed list
//     and a new one opens. It folds the sealed generations into the head's tree (manifest.Tree.Apply, cost
//     proportional to the entries), saves the new leaves, commits seq/<n> with the list of generations it
//     covers, then tidies the pointer. If it loses the commit race it starts over: the winner's covered list
//     now includes its generations, or its next seal does.
//  3. The draft as read = head tree + the pointer's generations the head does not cover, applied in order;
//     read consistently by checking the pointer did not change around the read.
//  4. Restore swaps the current generation for a new, empty one whose base is the snapshot's root.
//  5. A checkpoint (draftindex.go) seals like a snapshot, folds everything before the new current generation
//     into a tree and records its root on that generation, bound to the head and generations it was folded
//     from; reads start from it while those still match, so a read applies only the entries since.
//
// A crash anywhere leaves a consistent state: an upload killed midway leaves only a staging object; a
// snapshot killed after sealing leaves sealed generations that the draft still shows and the next snapshot
// folds; one killed after committing is finished by the next reader.
//
// # Garbage collection
//
// Nothing above deletes a blob or a chunk: they are shared by digest, so a dataset's deletion, an overwritten
// file or a restore only drops references. CollectGarbage (`kamld gc`) removes what nothing refers to: blobs,
// chunks, staging uploads, the objects of deleted incarnations, and draft entries of generations the draft
// pointer no longer names (folded into a snapshot, or dropped by a restore). Dataset tombstones stay: a
// deletion racing a create would turn its compare-and-swap into a false ALREADY_EXISTS.
//
//  1. Start: the collection writes gc/clock/<run> and reads back its time T0 — the store's clock, which is
//     what object times are in. The cutoff is T0 − grace.
//  2. Mark, after T0: every live dataset record; for each, every live branch's draft pointer FIRST (the
//     entries of its current and sealed generations, their restore bases; a rename tombstone younger than
//     the cutoff still names its draft), THEN every branch's head and every seq/<n> record's tree, each leaf
//     read once. A generation a snapshot covers and then drops from the pointer is thus seen in one or the
//     other. A deleted branch's draft pointer and entries are garbage.
//  3. Candidates: objects under blobs/, chunks/, uploads/, datasets/ and gc/ that nothing marked refers to
//     and whose time is before the cutoff (a presigned upload: until its URL expired a grace ago; a sweep
//     marker: once stale). Keys outside this layout are never touched. A dry run stops here and reports.
//  4. Sweep, in batches of at most 1,000: write the marker gc/sweeps/<run>-<n>; for each candidate, Stat it
//     again and delete it only if its time is still before the cutoff; stop deleting 20 s after the marker
//     was written (the rest go to the next batch); delete the marker.
//
// Why a reference published during a collection is never left dangling. A reference is a draft entry (to a
// blob) or a snapshot record (to a root, hence leaves). Anything published before the mark reads it is
// marked. Leaves a new tree shares with the tree it was built on (the head, or a restore base) are named by
// that tree's snapshot record, which lives as long as the dataset, so they are marked through it. One published after was prepared by a write that either
//
//   - stored the object itself, at t ≥ its start: the object is younger than the cutoff unless the write
//     took longer than the grace between storing and publishing; or
//   - found it stored already (dedup) at its Stat. If the object was younger than the refresh age R, a
//     collection that may remove it has T0 > Stat + grace − R, so the write must have taken longer than
//     grace − R ≥ R (the grace is at least 2R; CollectGarbage refuses less). Otherwise (older than R) the
//     write writes the object again (Put of the same bytes, from staging or the new chunk's bytes) and then
//     waits until no live sweep marker is listed and Stats the object: present, it is safe; missing, it
//     writes it again and repeats.
//
// The last case is the race a touch-then-delete design loses (S3 has no conditional DELETE, and an ETag does
// not change when the same bytes are written again): a sweep's re-check can read the old time just before
// the rewrite and its delete land just after. Then the re-check came after the sweep's marker was written,
// and before the rewrite, which came before the writer lists the markers — so the writer either sees that
// marker and waits for it to go, or it is gone already; both mean the delete is done before the writer's
// Stat, which then finds the object missing and writes it again. A sweep that re-checks after the rewrite
// sees a young object and keeps it. TestGCSweepDeletesAfterWriterRewrote forces this interleaving;
// TestGCRacesWriters runs writers, snapshots, dataset churn and collections together.
//
// What it assumes: one write (WriteFile's Stat or Put of the content → its draft entry; a snapshot's chunk
// writes → its seq record) takes less than R (10 min by default), and a sweep's single delete takes effect
// before writers treat its marker as stale (5 min after it was written; a batch stops deleting after 20 s),
// with clocks of sidecars and store within a few minutes of each other. A collection killed mid-sweep leaves
// a marker that makes writers that refresh an old object wait until it goes stale; the next collection
// removes it. Collections may run concurrently with each other.
//
// # Costs
//
// Snapshot with k changed files: k entry reads, the few leaves around them, the root (~170 lines at 100k
// files), a handful of small objects. Diff skips leaves shared by both trees. Restore is one CAS.
package dataset
