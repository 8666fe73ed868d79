//go:build linux

package memory

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// dropExecutablePages unmaps the resident pages of the executable's read-only mappings (code, read-only data,
// symbol tables) from this process with MADV_DONTNEED. The binary links DuckDB's C++ library: start-up (dynamic
// symbol resolution, static initializers, fault-around of the page cache) maps tens of MiB of it that an idle
// sidecar never touches again. A read-only private file page that was never written holds nothing of the
// process's own, so dropping it loses nothing: the next access faults it back in from the page cache. Writable
// mappings, and read-only ones with private copies (relocations written before the loader made them read-only,
// smaps "Anonymous"), are left alone.
func dropExecutablePages() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	for _, s := range cleanReadOnlyMappings(bufio.NewScanner(f), exe) {
		// The page cache may hold the executable in 2 MiB folios, which a fault then maps whole (a PMD): the
		// runtime's scattered reads of its tables would map back tens of MiB. Without huge pages a fault maps
		// only the pages around it.
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, s[0], s[1]-s[0], syscall.MADV_NOHUGEPAGE)
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, s[0], s[1]-s[0], syscall.MADV_DONTNEED)
	}
}

// cleanReadOnlyMappings reads /proc/self/smaps and returns the ranges of path's private, non-writable mappings
// that have no anonymous (copied-on-write) pages.
func cleanReadOnlyMappings(sc *bufio.Scanner, path string) [][2]uintptr {
	var spans [][2]uintptr
	var cur [2]uintptr
	candidate := false
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := readOnlyMappingOf(line, path); ok {
			cur, candidate = [2]uintptr{lo, hi}, true
			continue
		}
		if v, ok := strings.CutPrefix(line, "Anonymous:"); ok && candidate {
			if strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")) == "0" {
				spans = append(spans, cur)
			}
			candidate = false
			continue
		}
		if isMappingHeader(line) {
			candidate = false
		}
	}
	return spans
}

// isMappingHeader reports whether an smaps line starts a mapping ("lo-hi perms ..."), not a "Key: value" line.
func isMappingHeader(line string) bool {
	first, _, _ := strings.Cut(line, " ")
	return strings.Contains(first, "-") && !strings.HasSuffix(first, ":")
}

// readOnlyMappingOf parses a /proc/self/maps line and reports the range of a private, non-writable mapping of
// file path.
func readOnlyMappingOf(line, path string) (lo, hi uintptr, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < 6 || strings.Join(fields[5:], " ") != path {
		return 0, 0, false
	}
	perms := fields[1]
	if len(perms) != 4 || perms[1] == 'w' || perms[3] != 'p' {
		return 0, 0, false
	}
	a, b, found := strings.Cut(fields[0], "-")
	if !found {
		return 0, 0, false
	}
	l, err1 := strconv.ParseUint(a, 16, 64)
	h, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil || h <= l {
		return 0, 0, false
	}
	return uintptr(l), uintptr(h), true
}
