package fs

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// stripeCount is the number of lock stripes. Keys that share a stripe serialize their (short) commits; 64
// keeps that rare for the handful of writers one machine runs, with 64 small files and descriptors.
const stripeCount = 64

// stripes are the per-key-hash locks described in the package doc: a mutex for this process's goroutines,
// then flock on a file for other processes.
type stripes struct {
	dir   string
	mu    [stripeCount]sync.Mutex
	files [stripeCount]*os.File // opened on first use, kept open until close; guarded by mu[i]
}

func newStripes(dir string) *stripes { return &stripes{dir: dir} }

// lock takes the stripe of key and returns the function that releases it.
func (s *stripes) lock(key string) (func(), error) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	i := h.Sum32() % stripeCount
	s.mu[i].Lock()
	f := s.files[i]
	if f == nil {
		var err error
		f, err = os.OpenFile(filepath.Join(s.dir, fmt.Sprintf("%02d", i)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			s.mu[i].Unlock()
			return nil, fmt.Errorf("opening lock stripe: %w", err)
		}
		s.files[i] = f
	}
	if err := flock(f, syscall.LOCK_EX); err != nil {
		s.mu[i].Unlock()
		return nil, fmt.Errorf("locking stripe %s: %w", f.Name(), err)
	}
	return func() {
		// Unlocking cannot fail on a valid descriptor; closing it would release the lock anyway.
		_ = flock(f, syscall.LOCK_UN)
		s.mu[i].Unlock()
	}, nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func (s *stripes) close() error {
	var errs []error
	for i := range s.files {
		s.mu[i].Lock()
		if s.files[i] != nil {
			errs = append(errs, s.files[i].Close())
			s.files[i] = nil
		}
		s.mu[i].Unlock()
	}
	return errors.Join(errs...)
}
