// Package bench holds the ingest benchmarks of `make bench`. Each reports kamld's throughput next to a
// reference measured in the same run on the same bytes — raw sha256 for the local store, direct minio-go puts
// for MinIO — and the ratio between them (the budget in docs/benchmarks.md: ≥ 70 % of the reference).
//
//	go test -run '^$' -bench . -benchtime 1x ./sidecar/internal/bench/
package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	minio "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kamld/kamld/sidecar/internal/blob"
	"github.com/kamld/kamld/sidecar/internal/blob/fs"
	"github.com/kamld/kamld/sidecar/internal/blob/s3"
	"github.com/kamld/kamld/sidecar/internal/dataset"
	miniotest "github.com/kamld/kamld/sidecar/internal/testserver/minio"
)

const (
	bigSize    = 1 << 30 // the 1 GiB file
	smallCount = 10_000
	smallSize  = 4 << 10
	workers    = 8 // parallel small-file writers, as `kamld cp -r` uses
)

// pattern is 64 MiB of random bytes that the big file repeats; its first 8 bytes are replaced per run so
// every run writes new content (no dedup).
var pattern = sync.OnceValue(func() []byte {
	b := make([]byte, 64<<20)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(b)
	return b
})

// bigFile streams size bytes: a run-specific seed, then pattern repeated, without copying pattern.
func bigFile(seed string, size int64) io.Reader {
	rs := []io.Reader{strings.NewReader(seed)}
	left := size - int64(len(seed))
	for first := true; left > 0; first = false {
		chunk := pattern()
		if first {
			chunk = chunk[len(seed):]
		}
		n := min(left, int64(len(chunk)))
		rs = append(rs, bytes.NewReader(chunk[:n]))
		left -= n
	}
	return io.MultiReader(rs...)
}

func smallFile(seed string, i int) []byte {
	unit := []byte(seed + strconv.Itoa(i) + ".")
	return bytes.Repeat(unit, smallSize/len(unit)+1)[:smallSize]
}

// hashToDisk is the machine's bound for a local store: sha256 while writing the bytes to a new file in dir,
// then fsync (what any store that keeps its promise must do at least once).
func hashToDisk(b *testing.B, dir string, r io.Reader) time.Duration {
	t := time.Now()
	f, err := os.CreateTemp(dir, "ref-*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t)
}

func mbps(bytes int64, d time.Duration) float64 { return float64(bytes) / d.Seconds() / (1 << 20) }

// peakRSS is the process's high-water mark of resident memory (VmHWM), in MiB.
func peakRSS() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func newEngine(b *testing.B, store blob.Store) *dataset.Engine {
	e := dataset.New(store)
	if _, err := e.CreateDataset(context.Background(), "bench", dataset.Metadata{}); err != nil {
		b.Fatal(err)
	}
	return e
}

func fsStore(b *testing.B, dir string) blob.Store {
	s, err := fs.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkIngestBig_FS: one 1 GiB file into the local store vs sha256 of the same bytes, and vs sha256 while
// writing them to disk with fsync (the machine's real bound for a local store). It also writes a 128 MiB file
// first and reports the process's peak RSS after each, to show memory does not grow with size.
func BenchmarkIngestBig_FS(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	e := newEngine(b, fsStore(b, dir))
	if _, err := e.WriteFile(ctx, "bench", "warm.bin", bigFile("warm", 128<<20), dataset.WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	rssSmall := peakRSS()
	for i := range b.N {
		seed := fmt.Sprintf("run-%d-%d", i, time.Now().UnixNano())
		t := time.Now()
		h := sha256.New()
		if _, err := io.Copy(h, bigFile(seed, bigSize)); err != nil {
			b.Fatal(err)
		}
		raw := time.Since(t)
		disk := hashToDisk(b, dir, bigFile(seed+"d", bigSize))
		t = time.Now()
		if _, err := e.WriteFile(ctx, "bench", "big-"+strconv.Itoa(i)+".bin", bigFile(seed, bigSize), dataset.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		kamld := time.Since(t)
		b.ReportMetric(mbps(bigSize, raw), "sha256-MiB/s")
		b.ReportMetric(mbps(bigSize, disk), "sha256+disk-MiB/s")
		b.ReportMetric(mbps(bigSize, kamld), "kamld-MiB/s")
		b.ReportMetric(raw.Seconds()/kamld.Seconds(), "ratio-vs-sha256")
		b.ReportMetric(disk.Seconds()/kamld.Seconds(), "ratio-vs-sha256+disk")
	}
	b.ReportMetric(rssSmall, "peakRSS-after-128MiB-MiB")
	b.ReportMetric(peakRSS(), "peakRSS-after-1GiB-MiB")
}

// BenchmarkIngestSmall_FS: 10,000 files of 4 KiB with 8 writers vs sha256 of the same files, then the same
// number as batch uploads (batches).
func BenchmarkIngestSmall_FS(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b, fsStore(b, b.TempDir()))
	for i := range b.N {
		seed := fmt.Sprintf("r%d-", i)
		t := time.Now()
		for j := range smallCount {
			sha256.Sum256(smallFile(seed, j))
		}
		raw := time.Since(t)
		kamld := parallel(b, func(j int) error {
			_, err := e.WriteFile(ctx, "bench", fmt.Sprintf("small/%s%05d", seed, j), bytes.NewReader(smallFile(seed, j)), dataset.WriteOptions{})
			return err
		})
		batched := batches(b, e, "batch/"+seed)
		b.ReportMetric(float64(smallCount)/raw.Seconds(), "sha256-files/s")
		b.ReportMetric(float64(smallCount)/kamld.Seconds(), "kamld-files/s")
		b.ReportMetric(raw.Seconds()/kamld.Seconds(), "ratio-vs-sha256")
		b.ReportMetric(float64(smallCount)/batched.Seconds(), "kamld-batch-files/s")
	}
}

type minioBench struct {
	direct *minio.Client
	engine *dataset.Engine
	bucket string
}

func startMinio(b *testing.B) minioBench {
	srv := miniotest.Start(b)
	ctx := context.Background()
	store, err := s3.New(ctx, s3.Config{Endpoint: srv.Endpoint, Bucket: "kamld", AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		b.Fatal(err)
	}
	direct, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		b.Fatal(err)
	}
	if err := direct.MakeBucket(ctx, "direct", minio.MakeBucketOptions{}); err != nil {
		b.Fatal(err)
	}
	return minioBench{direct: direct, engine: newEngine(b, store), bucket: "direct"}
}

// BenchmarkIngestBig_MinIO: one 1 GiB file through kamld vs a direct minio-go PutObject of the same stream
// (unknown length, as an upload arrives), on one local MinIO. kamld is measured twice: as an upload arrives
// without its digest (staged, hashed, then copied to its content address: S3 has no rename, so the bytes are
// written twice) and with the digest the client sent (written once, straight to its address, verified).
func BenchmarkIngestBig_MinIO(b *testing.B) {
	m := startMinio(b)
	ctx := context.Background()
	for i := range b.N {
		seed := fmt.Sprintf("run-%d-%d", i, time.Now().UnixNano())
		t := time.Now()
		if _, err := m.direct.PutObject(ctx, m.bucket, "big-"+seed, bigFile(seed, bigSize), -1, minio.PutObjectOptions{PartSize: 16 << 20}); err != nil {
			b.Fatal(err)
		}
		direct := time.Since(t)
		t = time.Now()
		if _, err := m.engine.WriteFile(ctx, "bench", "big-"+seed+".bin", bigFile(seed, bigSize), dataset.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		kamld := time.Since(t)
		seed2 := seed + "-d"
		h := sha256.New()
		if _, err := io.Copy(h, bigFile(seed2, bigSize)); err != nil {
			b.Fatal(err)
		}
		t = time.Now()
		opts := dataset.WriteOptions{ExpectedDigest: "sha256:" + hex.EncodeToString(h.Sum(nil)), ExpectedSize: bigSize}
		if _, err := m.engine.WriteFile(ctx, "bench", "big-"+seed2+".bin", bigFile(seed2, bigSize), opts); err != nil {
			b.Fatal(err)
		}
		withDigest := time.Since(t)
		b.ReportMetric(mbps(bigSize, direct), "minio-go-MiB/s")
		b.ReportMetric(mbps(bigSize, kamld), "kamld-MiB/s")
		b.ReportMetric(direct.Seconds()/kamld.Seconds(), "ratio")
		b.ReportMetric(mbps(bigSize, withDigest), "kamld-digest-MiB/s")
		b.ReportMetric(direct.Seconds()/withDigest.Seconds(), "ratio-digest")
		writePart(b, "minio-big", map[string]any{
			"bytes": bigSize, "minio_go_mibs": mbps(bigSize, direct), "kamld_mibs": mbps(bigSize, kamld),
			"ratio": direct.Seconds() / kamld.Seconds(), "kamld_digest_mibs": mbps(bigSize, withDigest),
			"ratio_digest": direct.Seconds() / withDigest.Seconds(), "budget": 0.7,
		})
	}
}

// BenchmarkIngestSmall_MinIO: 10,000 files of 4 KiB with 8 writers through kamld vs direct minio-go puts;
// kamld both file by file (WriteFile, 8 at a time) and as batch uploads of 1,000 files (what `kamld cp -r`
// sends; each batch stores 8 contents at a time, as many as the reference's writers), one batch at a time.
func BenchmarkIngestSmall_MinIO(b *testing.B) {
	m := startMinio(b)
	ctx := context.Background()
	for i := range b.N {
		seed := fmt.Sprintf("r%d-", i)
		direct := parallel(b, func(j int) error {
			data := smallFile(seed, j)
			_, err := m.direct.PutObject(ctx, m.bucket, fmt.Sprintf("small/%s%05d", seed, j), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
			return err
		})
		kamld := parallel(b, func(j int) error {
			_, err := m.engine.WriteFile(ctx, "bench", fmt.Sprintf("small/%s%05d", seed, j), bytes.NewReader(smallFile(seed, j)), dataset.WriteOptions{})
			return err
		})
		batched := batches(b, m.engine, "batch/"+seed)
		b.ReportMetric(float64(smallCount)/direct.Seconds(), "minio-go-files/s")
		b.ReportMetric(float64(smallCount)/kamld.Seconds(), "kamld-files/s")
		b.ReportMetric(direct.Seconds()/kamld.Seconds(), "ratio")
		b.ReportMetric(float64(smallCount)/batched.Seconds(), "kamld-batch-files/s")
		b.ReportMetric(direct.Seconds()/batched.Seconds(), "ratio-batch")
		writePart(b, "minio-small", map[string]any{
			"files": smallCount, "file_bytes": smallSize, "minio_go_files_s": float64(smallCount) / direct.Seconds(),
			"kamld_files_s": float64(smallCount) / kamld.Seconds(), "ratio": direct.Seconds() / kamld.Seconds(),
			"kamld_batch_files_s": float64(smallCount) / batched.Seconds(), "ratio_batch": direct.Seconds() / batched.Seconds(),
			"budget": 0.7,
		})
	}
}

// batches writes the small files under prefix as batch uploads of 1,000, one at a time, and returns the wall
// time.
func batches(b *testing.B, e *dataset.Engine, prefix string) time.Duration {
	const perBatch, inFlight = 1000, 1 // 8 contents stored at once, as the direct reference's 8 writers
	ctx := context.Background()
	t := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, inFlight)
	errs := make([]error, smallCount/perBatch)
	for k := range smallCount / perBatch {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			batch, err := e.NewBatch(ctx, "bench")
			if err != nil {
				errs[k] = err
				return
			}
			for j := k * perBatch; j < (k+1)*perBatch; j++ {
				batch.Add(dataset.BatchFile{Path: fmt.Sprintf("%s%05d", prefix, j), Content: smallFile(prefix, j)})
			}
			_, errs[k] = batch.Commit(ctx)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t)
}

// parallel runs fn for 0..smallCount-1 on `workers` goroutines and returns the wall time.
func parallel(b *testing.B, fn func(int) error) time.Duration {
	t := time.Now()
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for j := range next {
				if err := fn(j); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	for j := range smallCount {
		next <- j
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return time.Since(t)
}
