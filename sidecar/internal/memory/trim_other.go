//go:build !(linux && cgo)

package memory

// trimC has nothing to trim without glibc's allocator.
func trimC() {}
