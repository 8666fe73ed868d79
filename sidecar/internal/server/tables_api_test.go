package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// Snapshots carry the schemas of their tabular files, and GetDataset shows the head's, over gRPC and REST, on
// the local store and on MinIO.
func TestSnapshotTables_GRPCAndREST(t *testing.T) {
	for name, start := range map[string]func(t *testing.T) *sidecar{
		"fs":    func(t *testing.T) *sidecar { return startSidecar(t) },
		"minio": func(t *testing.T) *sidecar { s, _ := startSidecarOnMinIO(t); return s },
	} {
		t.Run(name, func(t *testing.T) {
			s := start(t)
			ctx := s.authed()
			_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(ctx, &kamldv1.CreateDatasetRequest{DatasetId: "scores"})
			require.NoError(t, err)
			writeFile(t, s, "scores", "data/scores.csv", "name,score\nann,3\nbob,\ncid,5")
			writeFile(t, s, "scores", "notes.md", "# not a table")
			snc := kamldv1.NewSnapshotServiceClient(s.conn)
			v1, err := snc.CreateSnapshot(ctx, &kamldv1.CreateSnapshotRequest{Parent: "datasets/scores"})
			require.NoError(t, err)
			require.Len(t, v1.GetTables(), 1)
			tb := v1.GetTables()[0]
			require.Equal(t, "data__scores", tb.GetName())
			require.Equal(t, "data/scores.csv", tb.GetPath())
			require.Equal(t, "csv", tb.GetFormat())
			require.EqualValues(t, 3, tb.GetRowCount())
			require.EqualValues(t, 3, v1.GetStats().GetRowCount())
			score := tb.GetColumns()[1]
			require.Equal(t, "score", score.GetName())
			require.Equal(t, "BIGINT", score.GetType())
			require.True(t, score.GetNullable())
			require.EqualValues(t, 1, score.GetStats().GetNullCount())
			require.Equal(t, "3", score.GetStats().GetMin())
			require.Equal(t, "5", score.GetStats().GetMax())

			got, err := snc.GetSnapshot(ctx, &kamldv1.GetSnapshotRequest{Name: "datasets/scores/snapshots/v1"})
			require.NoError(t, err)
			require.Len(t, got.GetTables(), 1)

			code, body, _ := s.rest(t, "GET", "/v1/datasets/scores", "", s.bearer())
			require.Equal(t, http.StatusOK, code, body)
			var d struct {
				Stats  struct{ RowCount string }
				Tables []struct {
					Name    string
					Columns []struct{ Name, Type string }
				}
			}
			require.NoError(t, json.Unmarshal([]byte(body), &d))
			require.Equal(t, "3", d.Stats.RowCount)
			require.Len(t, d.Tables, 1)
			require.Equal(t, "data__scores", d.Tables[0].Name)
			require.Equal(t, "VARCHAR", d.Tables[0].Columns[0].Type)
		})
	}
}
