package server

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/flight"
	flightgen "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"google.golang.org/grpc"
)

// flightSQLer is a QueryService that also speaks Arrow Flight SQL (querysvc.Service).
type flightSQLer interface {
	FlightSQL() (flight.FlightServer, error)
}

// registerFlightSQL serves Arrow Flight SQL on the gRPC port when the query service speaks it, behind the
// same interceptors (token, logging) as the kamld.v1 services.
func registerFlightSQL(r grpc.ServiceRegistrar, q any) error {
	fq, ok := q.(flightSQLer)
	if !ok {
		return nil
	}
	fs, err := fq.FlightSQL()
	if err != nil {
		return fmt.Errorf("flight sql: %w", err)
	}
	flightgen.RegisterFlightServiceServer(r, fs)
	return nil
}
