package trino

import (
	"testing"

	"github.com/kamld/kamld/sidecar/internal/query/sqltest"
)

// testConformance runs the query.Engine conformance suite on the real Trino reading the real MinIO.
func testConformance(t *testing.T, e *env) {
	// The suite writes its own datasets; a store of their own keeps them apart from the other tests'.
	store, eng := e.freshStore(t, "conformance")
	sqltest.Run(t, func(t *testing.T) sqltest.Harness {
		return sqltest.Harness{Store: store, Engine: eng, Guard: eng.Guard()}
	})
}
