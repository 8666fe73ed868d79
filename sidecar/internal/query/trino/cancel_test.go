package trino

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowQuery runs for minutes on any Trino: 10^11 rows counted.
const slowQuery = `SELECT count(*) FROM UNNEST(sequence(1, 10000)) a(x) CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 1000)) c(z)`

// queryStates returns the states of the queries whose text contains marker, as system.runtime.queries
// shows them.
func queryStates(t *testing.T, db *sql.DB, marker string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(),
		`SELECT state FROM system.runtime.queries WHERE strpos(query, `+quoteString(marker)+`) > 0 AND strpos(query, 'system.runtime.queries') = 0`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// waitState waits until every query marked with marker is in a state accepted by ok, and returns the states.
func waitState(t *testing.T, db *sql.DB, marker string, ok func(string) bool) []string {
	t.Helper()
	var states []string
	require.Eventually(t, func() bool {
		states = queryStates(t, db, marker)
		for _, s := range states {
			if !ok(s) {
				return false
			}
		}
		return len(states) > 0
	}, time.Minute, 100*time.Millisecond, "states: %v", states)
	return states
}

func isRunning(s string) bool { return s == "RUNNING" }
func isDone(s string) bool    { return s == "FAILED" || s == "FINISHED" }

// testDriverCancel pins down what the engine relies on: cancelling the context of a running query through
// database/sql makes trino-go-client cancel it on the coordinator, so it stops running there.
func testDriverCancel(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	marker := "-- kamld-test cancel " + t.Name()
	errc := make(chan error, 1)
	go func() {
		var n int64
		errc <- e.db.QueryRowContext(ctx, slowQuery+"\n"+marker).Scan(&n)
	}()
	waitState(t, e.db, marker, isRunning)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	assert.Equal(t, []string{"FAILED"}, waitState(t, e.db, marker, isDone))
}
