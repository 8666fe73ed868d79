// Package dataset is kamld's storage engine for datasets, drafts, snapshots, tags and files (DESIGN.md §3),
// on any blob.Store: a local directory or MinIO/S3. It is a library; the gRPC services, CLI and panel sit on
// top of Engine.
//
// # Key layout
//
//	blobs/sha256/<2 hex>/<64 hex>/data      file contents, once per digest, immutable. Each blob has a folder of
//	                                         its own so a Hive/Trino external table can point LOCATION at one
//	                                         blob in place; the 2-hex fan-out keeps fs directories small.
//	uploads/<random>                         staging for an ingest whose digest is not yet known; deleted after
//	                                         the copy to blobs/, or by GC after its grace period if the writer died.
//	chunks/sha256/<2 hex>/<64 hex>           manifest leaves and roots (package manifest), immutable, shared.
//	meta/datasets/<id>                       dataset record (description, tags, labels, owner, times, and the
//	                                         incarnation uid). CAS only; its version is the dataset etag; a
//	                                         tombstone marks a deleted dataset.
//	datasets/<id>/<uid>/head                 hint: copy of the latest snapshot record (may lag; see seq/).
//	datasets/<id>/<uid>/seq/<20-digit n>     snapshot record n, create-only: THE commit point of history.
//	datasets/<id>/<uid>/ids/<snapshot id>    index id → n, create-only (id-prefix refs list this folder).
//	datasets/<id>/<uid>/draft                draft pointer: current generation + sealed generations. CAS only.
//	datasets/<id>/<uid>/gens/<gen>/<sha256(path)>  one draft entry (file written or deleted) of a generation.
//	datasets/<id>/<uid>/tags/<tag>           tag pointer, CAS only; a tombstone marks a deleted tag.
//
// A dataset's objects live under an incarnation uid, so deleting a dataset (tombstone first, then removing
// its objects best effort) and creating one of the same id can never mix their histories. No key is both an
// object and a folder of keys, which the fs store cannot hold.
//
// # Snapshots and history
//
// A snapshot is committed by creating seq/<n> create-only, holding its record (id, parent = the record of
// n-1, manifest root, message, author, time, stats, lineage). Each number is therefore taken once, by a
// snapshot whose parent is the previous one: history is linear with no gaps, whatever the number of racing
// writers and sidecars, and a loser simply retries on the new head. The head object and the id index are
// updated after the commit by the committer or by any reader that finds them lagging (loadHead follows
// seq/<n+1>), so a crash between the commit and those writes loses nothing. The snapshot id is hex sha256
// over (manifest root, parent id, message, author, time), like a commit hash.
//
// # The draft
//
// The draft is the head's tree plus the entries written since, kept as one object per entry (writers never
// contend on a shared list) in generations named by the draft pointer:
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
//
// A crash anywhere leaves a consistent state: an upload killed midway leaves only a staging object; a
// snapshot killed after sealing leaves sealed generations that the draft still shows and the next snapshot
// folds; one killed after committing is finished by the next reader.
//
// # Costs
//
// Snapshot with k changed files: k entry reads, the few leaves around them, the root (~170 lines at 100k
// files), a handful of small objects. Diff skips leaves shared by both trees. Restore is one CAS.
package dataset
