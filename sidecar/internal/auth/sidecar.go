package auth

import "context"

// sidecarItself is stored under principalKey by AsSidecar: PrincipalFrom then reports no principal.
type sidecarItself struct{}

// AsSidecar returns a context that acts as the sidecar itself, without the caller's principal, for work a call
// triggers but that must see every dataset whoever the caller is (updating the search document of a dataset
// after a write, which must not depend on what the writer can read). Access checks treat a context without a
// principal as the sidecar's own work (docs/architecture.md, "Access control choke points").
func AsSidecar(ctx context.Context) context.Context {
	return context.WithValue(ctx, principalKey{}, sidecarItself{})
}
