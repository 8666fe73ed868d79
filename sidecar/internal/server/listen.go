package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/kamld/kamld/sidecar/internal/config"
)

// listen binds a configured address. A Unix socket left behind by a crashed sidecar is removed first (only if
// it is a socket: a regular file at that path is an error, not something to delete), and the new one is made
// private to the user.
func listen(addr string) (net.Listener, error) {
	network, address, err := config.SplitAddr(addr)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if st, err := os.Lstat(address); err == nil {
			if st.Mode().Type() != fs.ModeSocket {
				return nil, fmt.Errorf("%s exists and is not a socket", address)
			}
			if err := os.Remove(address); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if err := os.Chmod(address, 0o600); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// displayAddr is how a bound listener is named in the ready file: host:port for TCP, unix:/path for sockets.
func displayAddr(l net.Listener) string {
	if l.Addr().Network() == "unix" {
		return "unix:" + l.Addr().String()
	}
	return l.Addr().String()
}

// httpURL is the base URL of the HTTP listener; for Unix sockets, a URL whose host clients ignore.
func httpURL(l net.Listener) string {
	if l.Addr().Network() == "unix" {
		return "http+unix://" + l.Addr().String()
	}
	return "http://" + l.Addr().String()
}
