package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
)

// hashFile streams one file through buf into SHA-256, checking ctx between
// reads. It refuses a file that is no longer regular or whose size or
// modification time differ from when it was listed, and one that changes
// while it is read.
func hashFile(ctx context.Context, fsys fs.FS, j job, buf []byte, prog *progress) (string, error) {
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
		return "", fmt.Errorf("%w (mode %v)", ErrNotRegular, before.Mode().Type())
	}
	if err := sameState(j.info, before); err != nil {
		return "", err
	}
	h := sha256.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		m, err := f.Read(buf)
		if m > 0 {
			h.Write(buf[:m])
			n += int64(m)
			prog.add(int64(m))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
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
