package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// File is one hashed file: Path is relative to the model folder and
// slash-separated, SHA256 is the lowercase hex SHA-256 of its bytes.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Aggregate computes the aggregate hash of files as specified in the package
// documentation. The order of files does not matter and files is not
// modified. A path containing a newline is rejected with a *PathError
// wrapping ErrInvalidPath; no other validation is done, so callers hashing
// stored manifests get exactly the reference's answer.
func Aggregate(files []File) (string, error) {
	lines := make([]string, len(files))
	for i, f := range files {
		if strings.ContainsAny(f.Path, "\n") {
			return "", &PathError{Op: "aggregate", Path: f.Path, Err: ErrInvalidPath}
		}
		lines[i] = f.SHA256 + "  " + f.Path
	}
	slices.Sort(lines)
	h := sha256.New()
	for i, l := range lines {
		if i > 0 {
			h.Write([]byte{'\n'})
		}
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
