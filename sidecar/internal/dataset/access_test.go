package dataset

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kamld/kamld/sidecar/internal/access"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/auth"
)

func as(name string, groups ...string) context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{Name: name, Groups: groups, Verified: true})
}

// TestAccessAtTheEngine: the one check in open covers reads, writes and administration of every operation,
// and an unreadable dataset answers exactly like a missing one.
func TestAccessAtTheEngine(t *testing.T) {
	e := New(newFS(t, t.TempDir()))
	alice, bob, carol := as("alice"), as("bob"), as("carol", "ml")
	_, err := e.CreateDataset(alice, "secret", Metadata{Owner: "alice", Visibility: access.Private})
	require.NoError(t, err)
	_, err = e.WriteFile(alice, "secret", "a.txt", stringsReader("hi"), WriteOptions{})
	require.NoError(t, err)

	_, errMissing := e.GetDataset(bob, "nosuch")
	_, err = e.GetDataset(bob, "secret")
	require.True(t, errors.Is(err, apierr.ErrNotFound), "%v", err)
	require.Equal(t, errMissing.Error()[len(`dataset "nosuch"`):], err.Error()[len(`dataset "secret"`):], "same answer as a missing dataset")
	_, err = e.StatFile(bob, "secret", "draft", "a.txt")
	require.True(t, errors.Is(err, apierr.ErrNotFound), "%v", err)
	_, err = e.WriteFile(bob, "secret", "b.txt", stringsReader("x"), WriteOptions{})
	require.True(t, errors.Is(err, apierr.ErrNotFound), "%v", err)
	list, _, err := e.ListDatasets(bob, Page{})
	require.NoError(t, err)
	require.Empty(t, list)

	_, err = e.SetAccess(bob, "secret", access.Policy{Visibility: access.Public}, "")
	require.True(t, errors.Is(err, apierr.ErrNotFound), "a stranger cannot even see the policy: %v", err)
	acc, err := e.GetAccess(alice, "secret")
	require.NoError(t, err)
	acc, err = e.SetAccess(alice, "secret", access.Policy{Visibility: access.Private, Grants: []access.Grant{
		{Kind: access.User, Name: "bob", Role: access.Reader}, {Kind: access.Group, Name: "ml", Role: access.Writer}}}, acc.Etag)
	require.NoError(t, err)
	require.Equal(t, "alice", acc.Policy.Owner, "an empty owner keeps the owner")
	_, err = e.SetAccess(alice, "secret", access.Policy{Visibility: access.Public}, "stale")
	require.True(t, errors.Is(err, apierr.ErrAborted), "%v", err)

	_, err = e.StatFile(bob, "secret", "draft", "a.txt")
	require.NoError(t, err, "a reader reads")
	_, err = e.WriteFile(bob, "secret", "b.txt", stringsReader("x"), WriteOptions{})
	var denied *DeniedError
	require.True(t, errors.As(err, &denied) && errors.Is(err, apierr.ErrPermissionDenied), "%v", err)
	require.Contains(t, err.Error(), "reader")
	_, err = e.SetAccess(bob, "secret", access.Policy{Visibility: access.Public}, "")
	require.True(t, errors.Is(err, apierr.ErrPermissionDenied), "a reader cannot share: %v", err)

	_, err = e.WriteFile(carol, "secret", "c.txt", stringsReader("x"), WriteOptions{})
	require.NoError(t, err, "a group writer writes")
	_, err = e.CreateSnapshot(carol, "secret", SnapshotOptions{})
	require.NoError(t, err)
	require.True(t, errors.Is(e.DeleteDataset(carol, "secret", ""), apierr.ErrPermissionDenied), "a writer cannot delete")
	_, err = e.UpdateDataset(carol, "secret", Metadata{Owner: "alice", Description: "x"}, nil, "")
	require.NoError(t, err, "a writer's full update that keeps the owner")
	_, err = e.UpdateDataset(carol, "secret", Metadata{Owner: "carol"}, []string{FieldOwner}, "")
	require.True(t, errors.Is(err, apierr.ErrPermissionDenied), "a writer cannot take ownership: %v", err)

	_, err = e.GetDataset(context.Background(), "secret")
	require.NoError(t, err, "the sidecar's own work is not checked")
	require.NoError(t, e.DeleteDataset(auth.WithIdentity(context.Background(), "root"), "secret", ""), "a platform admin deletes")
}

// TestAccessDefaultForOldRecords: a record without a policy is internal, owned by its recorded owner.
func TestAccessDefaultForOldRecords(t *testing.T) {
	e := New(newFS(t, t.TempDir()))
	_, err := e.CreateDataset(context.Background(), "old", Metadata{Owner: "alice"})
	require.NoError(t, err)
	d, err := e.GetDataset(as("bob"), "old")
	require.NoError(t, err)
	require.Equal(t, access.Policy{Owner: "alice", Visibility: access.Internal}, d.Access)
	_, err = e.WriteFile(as("bob"), "old", "x", stringsReader("x"), WriteOptions{})
	require.True(t, errors.Is(err, apierr.ErrPermissionDenied), "%v", err)
	_, err = e.WriteFile(as("alice"), "old", "x", stringsReader("x"), WriteOptions{})
	require.NoError(t, err)
}
