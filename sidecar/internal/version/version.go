// Package version holds what the binary knows about its own build. Commit and Time are set with -ldflags
// by the Makefile; Version defaults to the release in the repository's VERSION file.
package version

import (
	"runtime"
	"runtime/debug"
)

// These are overridden at link time: -X github.com/kamld/kamld/sidecar/internal/version.Commit=….
var (
	Version = "0.1.0"
	Commit  = ""
	Time    = ""
)

// APIVersion is the protobuf package the server speaks.
const APIVersion = "kamld.v1"

// Info is the build description shared by `kamld version` and SystemService.GetInfo.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Time      string `json:"time"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Get returns the build description, falling back to the VCS stamp Go embeds when no ldflags were given.
func Get() Info {
	info := Info{
		Version:   Version,
		Commit:    Commit,
		Time:      Time,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && info.Commit == "":
				info.Commit = s.Value
			case s.Key == "vcs.time" && info.Time == "":
				info.Time = s.Value
			}
		}
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Time == "" {
		info.Time = "unknown"
	}
	return info
}
