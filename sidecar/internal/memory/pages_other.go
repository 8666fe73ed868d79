//go:build !linux

package memory

// dropExecutablePages is Linux only (/proc/self/maps).
func dropExecutablePages() {}
