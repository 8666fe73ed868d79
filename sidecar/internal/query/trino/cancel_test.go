package trino

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

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
