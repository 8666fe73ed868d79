package wiring

import (
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/compute"
	"github.com/kamld/kamld/sidecar/internal/index"
	"github.com/kamld/kamld/sidecar/internal/observe/instrument"
	"github.com/kamld/kamld/sidecar/internal/query"
)

// instrumented wraps a built backend in its capability's metrics decorator (package instrument), so every
// call through the Set, and through the backends built on top of it, is timed. Placeholders of capabilities
// this build lacks stay as they are.
func instrumented(capability string, b backend.Backend) backend.Backend {
	switch capability {
	case backend.Blob:
		if s, ok := b.(blob.Store); ok {
			return instrument.Blob(s)
		}
	case backend.Index:
		if ix, ok := b.(index.Index); ok {
			return instrument.Index(ix)
		}
	case backend.SQL:
		if e, ok := b.(query.Engine); ok {
			return instrument.SQL(e)
		}
	case backend.Compute:
		if c, ok := b.(compute.Backend); ok {
			return instrument.Compute(c)
		}
	}
	return b
}
