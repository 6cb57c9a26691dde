package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// TestReaders: both copy loops give the plain SHA-256 of the stream, for
// streams shorter than, equal to and longer than their buffers, with short
// reads.
func TestReaders(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{7})
	for _, size := range []int{0, 1, 999, 1000, 1001, 10_000, 65_537} {
		data := make([]byte, size)
		rng.Read(data)
		want := sha256.Sum256(data)
		for _, tt := range []struct {
			name string
			run  func(r io.Reader, h io.Writer) (int64, error)
		}{
			{"readSeq", func(r io.Reader, h io.Writer) (int64, error) {
				return readSeq(context.Background(), r, h, make([]byte, 1000), &progress{})
			}},
			{"readAhead", func(r io.Reader, h io.Writer) (int64, error) {
				return readAhead(context.Background(), r, h, [][]byte{make([]byte, 1000), make([]byte, 1000), make([]byte, 1000)}, &progress{})
			}},
		} {
			for _, r := range []io.Reader{bytes.NewReader(data), iotest.HalfReader(bytes.NewReader(data)), iotest.OneByteReader(bytes.NewReader(data))} {
				h := sha256.New()
				n, err := tt.run(r, h)
				if err != nil || n != int64(size) || !bytes.Equal(h.Sum(nil), want[:]) {
					t.Errorf("%s(%d bytes, %T) = %d, %v, hash match %v, want %d, nil, true", tt.name, size, r, n, err, bytes.Equal(h.Sum(nil), want[:]), size)
				}
			}
		}
	}
}

// TestReadAheadErrors: a read error and a cancellation both end readAhead
// with that error, and its helper goroutine has stopped reading by then.
func TestReadAheadErrors(t *testing.T) {
	boom := errors.New("boom")
	bufs := func() [][]byte { return [][]byte{make([]byte, 10), make([]byte, 10)} }
	r := io.MultiReader(bytes.NewReader(make([]byte, 25)), iotest.ErrReader(boom))
	if n, err := readAhead(context.Background(), r, io.Discard, bufs(), &progress{}); !errors.Is(err, boom) || n != 25 {
		t.Errorf("readAhead(25 bytes then an error) = %d, %v, want 25, %v", n, err, boom)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cr := &countingReader{r: bytes.NewReader(make([]byte, 1000))}
	prog := &progress{fn: func(done, total int64) {
		if done >= 20 {
			cancel()
		}
	}}
	n, err := readAhead(ctx, cr, io.Discard, bufs(), prog)
	if !errors.Is(err, context.Canceled) || n > 40 {
		t.Errorf("readAhead(cancelled after 20 bytes) = %d, %v, want at most 40, context.Canceled", n, err)
	}
	reads := cr.reads
	if cr.reads > 6 {
		t.Errorf("readAhead(cancelled after 20 bytes) read %d times, want it to stop", reads)
	}
}

type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}
