package backend

import (
	"context"
	"fmt"
)

// Pending stands in for a configured backend whose capability this build does not provide yet: it is named in
// GetInfo with HEALTH_UNIMPLEMENTED and does not make the sidecar unready. It is not a fake: it serves nothing,
// and the RPCs of its capability answer UNIMPLEMENTED.
type Pending struct {
	name, capability string
}

// NewPending returns a placeholder for backend name of a capability.
func NewPending(capability, name string) *Pending {
	return &Pending{name: name, capability: capability}
}

// Name implements Backend.
func (p *Pending) Name() string { return p.name }

// Location implements Backend.
func (p *Pending) Location() string { return "" }

// Health implements Backend; it always reports ErrNotBuilt.
func (p *Pending) Health(context.Context) error {
	return fmt.Errorf("the %s capability is %w", p.capability, ErrNotBuilt)
}

// Close implements Backend.
func (p *Pending) Close() error { return nil }
