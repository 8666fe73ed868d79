package proc

import (
	"bytes"
	"sync"
)

// maxLog bounds a server's kept output; beyond it the older half is dropped.
const maxLog = 256 << 10

// Log collects a server's output for failure messages. It keeps the newest part: startup failures and the
// last requests are what a reader needs.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Log) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > maxLog {
		rest := b.buf.Bytes()[b.buf.Len()/2:]
		b.buf = *bytes.NewBuffer(append([]byte(nil), rest...))
	}
	return b.buf.Write(p)
}

// String is all the output kept.
func (b *Log) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail is the last n bytes of the output kept, marked with … when cut.
func (b *Log) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.Bytes()
	if len(s) > n {
		return "…" + string(s[len(s)-n:])
	}
	return string(s)
}
