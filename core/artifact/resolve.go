package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// maxLinks bounds the symbolic links followed while resolving one name.
const maxLinks = 40

// resolve follows symbolic links in name, element by element, without
// opening anything, and returns the equivalent link-free name inside fsys.
// A link with an absolute target or one that climbs above the root gives an
// error wrapping ErrUnsafePath. When fsys cannot read links, name is
// returned unchanged (such a tree has no links).
func resolve(fsys fs.FS, name string) (string, error) {
	rl, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		return name, nil
	}
	var stack []string
	rest := strings.Split(name, "/")
	links := 0
	for len(rest) > 0 {
		elem := rest[0]
		rest = rest[1:]
		switch elem {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "", fmt.Errorf("%w: a symbolic link leads outside the model folder", ErrUnsafePath)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		next := path.Join(append(stack, elem)...)
		fi, err := rl.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			stack = append(stack, elem)
			continue
		}
		if links++; links > maxLinks {
			return "", fmt.Errorf("%w: too many symbolic links", ErrUnsafePath)
		}
		target, err := rl.ReadLink(next)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") || hasDrive(target) {
			return "", fmt.Errorf("%w: symbolic link %q has an absolute target", ErrUnsafePath, next)
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	if len(stack) == 0 {
		return ".", nil
	}
	return path.Join(stack...), nil
}

// isNotExist reports whether err means the file is absent (including a
// dangling link or a missing parent).
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}
