//go:build linux && cgo

package memory

/*
#include <malloc.h>
*/
import "C"

// trimC hands the C heap's free pages back (glibc keeps freed memory in its arenas otherwise): DuckDB's
// buffers, freed when a query or the database closes, are malloc'd.
func trimC() { C.malloc_trim(0) }
