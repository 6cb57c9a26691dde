package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Stamp is a cheap fingerprint of the files Collect would hash for src: the
// SHA-256 of each file's path, size, modification time and (where the
// system tells) inode and change time, without reading any content. Two
// equal stamps mean no file was added, removed, replaced or written in
// between (short of someone restoring every stamp by hand), so a caller may
// reuse a verification made at the first. Errors are Collect's, but for
// hashing ones.
func Stamp(ctx context.Context, src Source, opts Options) (string, error) {
	p, err := src.plan()
	if err != nil {
		return "", err
	}
	fsys, closeRoot, err := openRoot(opts, p.root)
	if err != nil {
		return "", err
	}
	defer closeRoot()
	jobs, err := p.jobs(ctx, fsys)
	if err != nil {
		return "", err
	}
	lines := make([]string, len(jobs))
	for i, j := range jobs {
		lines[i] = fmt.Sprintf("%s\x00%d\x00%d\x00%s", j.path, j.info.Size(), j.info.ModTime().UnixNano(), sysStamp(j.info))
	}
	slices.Sort(lines)
	h := sha256.New()
	_, _ = io.WriteString(h, p.root+"\n"+strings.Join(lines, "\n"))
	return hex.EncodeToString(h.Sum(nil)), nil
}
