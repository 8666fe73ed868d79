package wiring

import (
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/config"
	"github.com/kamld/kamld/sidecar/internal/wiring/blobwiring"
)

// blobEntries are the blob capability's rows, one per object store of blobwiring's table.
func blobEntries() []entry {
	var out []entry
	for _, name := range blobwiring.Names() {
		out = append(out, entry{name, func(c config.Config, _ map[string]backend.Backend) (backend.Backend, error) {
			return blobwiring.New(name, c)
		}})
	}
	return out
}
