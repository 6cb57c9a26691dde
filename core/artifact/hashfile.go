package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// hashFile streams one file through bufs into SHA-256, checking ctx between
// reads; with more than one buffer, a second goroutine reads ahead while
// this one hashes (see readAhead). It refuses a file that is no longer regular or whose size or
// modification time differ from when it was listed, and one that changes
// while it is read.
func hashFile(ctx context.Context, fsys fs.FS, j job, bufs [][]byte, prog *progress) (string, error) {
	f, err := fsys.Open(j.open)
	if err != nil {
		return "", err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !before.Mode().IsRegular() {
		return "", fmt.Errorf("%w: is %s", ErrNotRegular, safefile.Kind(before.Mode()))
	}
	if err := sameState(j.info, before); err != nil {
		return "", err
	}
	h := sha256.New()
	var n int64
	if len(bufs) > 1 && before.Size() > int64(2*len(bufs[0])) {
		n, err = readAhead(ctx, f, h, bufs, prog)
	} else {
		n, err = readSeq(ctx, f, h, bufs[0], prog)
	}
	if err != nil {
		return "", err
	}
	after, err := f.Stat()
	if err != nil {
		return "", err
	}
	if n != before.Size() {
		return "", fmt.Errorf("%w: read %d bytes, size was %d", ErrFileChanged, n, before.Size())
	}
	if err := sameState(before, after); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// sameState reports ErrFileChanged when two observations of a file differ
// in size or modification time.
func sameState(was, now fs.FileInfo) error {
	if was.Size() != now.Size() {
		return fmt.Errorf("%w: size went from %d to %d bytes", ErrFileChanged, was.Size(), now.Size())
	}
	if !was.ModTime().Equal(now.ModTime()) {
		return fmt.Errorf("%w: modification time went from %s to %s", ErrFileChanged,
			was.ModTime().UTC().Format("2006-01-02T15:04:05.000000000Z"), now.ModTime().UTC().Format("2006-01-02T15:04:05.000000000Z"))
	}
	return nil
}

// readSeq copies f into h through buf, checking ctx before every read.
func readSeq(ctx context.Context, f io.Reader, h io.Writer, buf []byte, prog *progress) (int64, error) {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := f.Read(buf)
		if m > 0 {
			h.Write(buf[:m])
			n += int64(m)
			prog.add(int64(m))
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// chunk is one read done ahead.
type chunk struct {
	buf []byte
	n   int
	err error
}

// readAhead copies f into h like readSeq, but a helper goroutine fills the
// buffers (copying from the page cache, or waiting on the disk) while this
// goroutine hashes, so one big file costs max(read, hash) instead of their
// sum. Memory stays len(bufs) buffers; the helper has exited when
// readAhead returns, so f may be closed.
func readAhead(ctx context.Context, f io.Reader, h io.Writer, bufs [][]byte, prog *progress) (int64, error) {
	free := make(chan []byte, len(bufs))
	full := make(chan chunk, len(bufs))
	for _, b := range bufs {
		free <- b
	}
	stop := make(chan struct{})
	go func() {
		defer close(full)
		for {
			var b []byte
			select {
			case b = <-free:
			case <-stop:
				return
			}
			m, err := f.Read(b)
			full <- chunk{b, m, err} // never blocks: at most len(bufs) in flight
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		for range full { // wait for the reader to finish
		}
	}()
	var n int64
	for c := range full {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if c.n > 0 {
			h.Write(c.buf[:c.n])
			n += int64(c.n)
			prog.add(int64(c.n))
		}
		if c.err == io.EOF {
			return n, nil
		}
		if c.err != nil {
			return n, c.err
		}
		free <- c.buf // never blocks: the buffer came from free
	}
	return n, io.ErrUnexpectedEOF // unreachable: the reader ends with an error
}
