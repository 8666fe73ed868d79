package fs

import "sync"

// dirSyncs batches the fsyncs of a folder (group commit): a caller that needs its rename into dir made durable
// joins the next round, one fsync that starts after it joined, so it covers the caller's rename. Concurrent
// small writes into one folder (a draft's entries) then share fsyncs instead of queueing one each.
type dirSyncs struct {
	mu   sync.Mutex
	dirs map[string]*dirSync // guarded by mu; present while a round is pending or running
}

type dirSync struct {
	running bool       // a leader goroutine is fsyncing rounds
	next    *syncRound // the round not yet started, nil when nobody waits
}

type syncRound struct {
	done chan struct{}
	err  error // set before done is closed
}

// sync returns once an fsync of dir (by do) that started after the call has finished, with that fsync's error.
func (g *dirSyncs) sync(dir string, do func(string) error) error {
	g.mu.Lock()
	if g.dirs == nil {
		g.dirs = map[string]*dirSync{}
	}
	st := g.dirs[dir]
	if st == nil {
		st = &dirSync{}
		g.dirs[dir] = st
	}
	if st.next == nil {
		st.next = &syncRound{done: make(chan struct{})}
	}
	r := st.next
	if !st.running {
		st.running = true
		go g.lead(dir, st, do)
	}
	g.mu.Unlock()
	<-r.done
	return r.err
}

// lead runs rounds until none is pending; a round is taken out of next before its fsync starts, so callers
// arriving during it wait for the following one.
func (g *dirSyncs) lead(dir string, st *dirSync, do func(string) error) {
	g.mu.Lock()
	for st.next != nil {
		r := st.next
		st.next = nil
		g.mu.Unlock()
		r.err = do(dir)
		close(r.done)
		g.mu.Lock()
	}
	st.running = false
	delete(g.dirs, dir)
	g.mu.Unlock()
}
