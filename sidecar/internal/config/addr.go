package config

import (
	"fmt"
	"net"
	"strings"
)

// SplitAddr turns a listen address into a network and address for net.Listen: "unix:/run/kamld.sock" is a Unix
// socket, anything else must be host:port on TCP.
func SplitAddr(addr string) (network, address string, err error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return "", "", fmt.Errorf("%q: unix socket path is empty", addr)
		}
		return "unix", path, nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", fmt.Errorf("%q: want host:port or unix:/path: %w", addr, err)
	}
	return "tcp", addr, nil
}
