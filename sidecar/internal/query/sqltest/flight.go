package sqltest

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// flightQuery runs sqlText over Flight SQL (GetFlightInfo, then DoGet of its one endpoint) and returns the
// rows as the JSON rows would be.
func flightQuery(ctx context.Context, cl *flightsql.Client, sqlText string) ([][]any, error) {
	info, err := cl.Execute(ctx, sqlText)
	if err != nil {
		return nil, err
	}
	rd, err := cl.DoGet(ctx, info.GetEndpoint()[0].GetTicket())
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	r := &arrowResult{arrow: rd.Schema()}
	for rd.Next() {
		r.addRows(rd.RecordBatch())
	}
	return r.rows, rd.Err()
}

// testFlightSQL holds Flight SQL to ExecuteQuery's answers on the suite's queries, with the guard's errors.
func testFlightSQL(t *testing.T, e *env) {
	cl, err := flightsql.NewClient("passthrough:///bufnet", nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(e.dial))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, q := range []string{
		`SELECT species, count(*) AS n, round(avg(petal_length_cm), 3) AS avg_pl FROM "iris@v1".iris GROUP BY species ORDER BY species`,
		`SELECT count(*) FROM "iris@v1"`,
		`SELECT sum(k) FROM "iris@draft".draft`,
		`SELECT count(*), sum(id), count(tag) FROM "mixed@v1".events`,
		`SELECT id, big, price, day, ts, ok, note FROM "mixed@v1".types ORDER BY id`,
		`SELECT * FROM "iris@v1".iris WHERE species = 'none'`,
	} {
		want := e.query(t, q)
		got, err := flightQuery(ctx, cl, q)
		require.NoError(t, err, q)
		require.Equal(t, want.rows, nilIfEmpty(got), q)
	}
	_, err = flightQuery(ctx, cl, `DROP TABLE x`)
	require.Equal(t, codes.InvalidArgument, status.Code(err), "%v", err)
	_, err = flightQuery(ctx, cl, `SELECT * FROM "iris@v9".iris`)
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	info, err := cl.Execute(ctx, `SELECT 1`)
	require.NoError(t, err)
	rd, err := cl.DoGet(ctx, info.GetEndpoint()[0].GetTicket())
	require.NoError(t, err)
	for rd.Next() {
	}
	rd.Release()
	again, err := cl.DoGet(ctx, info.GetEndpoint()[0].GetTicket())
	if err == nil {
		for again.Next() {
		}
		err = again.Err()
	}
	require.Equal(t, codes.NotFound, status.Code(err), "a ticket is read once: %v", err)
}
