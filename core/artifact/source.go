package artifact

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Source says where an entry's files are, in the registry's own terms.
type Source struct {
	// Listed, when non-empty, are exactly the files to hash, relative to
	// the model folder: a backend names them (an Ollama model's blobs).
	// The registry's artifacts.files is never such a list: it records the
	// last hash and never limits what is hashed.
	Listed []string
	// DownloadPath is the entry's download_path: the model folder when
	// ModelPath names none.
	DownloadPath string
	// ModelPath is backend_config.model_path: a local folder, or a scheme
	// form such as "ollama:/name:tag", which names no local folder.
	ModelPath string
	// BaseDir is the registry directory; relative roots resolve against it
	// (against the working directory when empty).
	BaseDir string
	// Home replaces a leading "~" in a root. A root starting with "~" and an
	// empty Home is an error wrapping ErrInvalidPath.
	Home string
}

// FileRule names the rule that chose the files (Result.Selection).
type FileRule string

// The selection rules, in contract order.
const (
	FromListed FileRule = "listed" // files a backend lists, under its root
	FromWalk   FileRule = "walk"   // every regular file of the model folder but its tool folders
	// FromToolFolders is the selection of [CollectToolFolders]: the files
	// of the tool folders a walk leaves out.
	FromToolFolders FileRule = "tool_folders"
)

// ToolFolders returns, sorted, the folders at the root of a model folder
// that belong to download tools rather than to the model, which a walk
// leaves out: ".cache/huggingface" and ".git".
func ToolFolders() []string { return []string{".cache/huggingface", ".git"} }

// isToolFolder reports whether the slash-separated name is one of
// [ToolFolders].
func isToolFolder(name string) bool {
	return name == ".git" || name == ".cache/huggingface"
}

// InToolFolder reports whether p, a path relative to the model folder,
// lies inside one of [ToolFolders].
func InToolFolder(p string) bool {
	for _, f := range ToolFolders() {
		if strings.HasPrefix(p, f+"/") {
			return true
		}
	}
	return false
}

// plan is what Collect will do: hash paths (or walk, when paths is nil)
// under root.
type plan struct {
	root  string
	sel   FileRule
	paths []string
}

// plan picks the rule and root per the contract and checks every listed
// path before anything is opened. Listed files resolve against the model
// folder (model_path, or download_path when model_path is not local); so
// does the walk, so pinning and checking always use the same root.
func (s Source) plan() (plan, error) {
	root, err := s.Root()
	if err != nil {
		return plan{}, err
	}
	if len(s.Listed) > 0 {
		paths, err := checkList(root, s.Listed)
		return plan{root: root, sel: FromListed, paths: paths}, err
	}
	return plan{root: root, sel: FromWalk}, nil
}

// Root is the model folder, absolute and clean: backend_config.model_path
// when it names a local folder, else download_path when set. Errors wrap
// ErrArtifactsMissing and ErrNoLocalPath when neither names a local folder,
// or ErrInvalidPath.
func (s Source) Root() (string, error) {
	noModel := strings.TrimSpace(s.ModelPath) == "" || !isLocal(s.ModelPath)
	if noModel && strings.TrimSpace(s.DownloadPath) != "" {
		return s.resolveRoot(s.DownloadPath, "download_path")
	}
	return s.resolveRoot(s.ModelPath, "model_path")
}

// resolveRoot turns a registry path into an absolute, clean local path.
func (s Source) resolveRoot(p, field string) (string, error) {
	if strings.TrimSpace(p) == "" {
		return "", &PathError{Op: "resolve " + field, Path: p,
			Err: fmt.Errorf("%w: %w (empty)", ErrArtifactsMissing, ErrNoLocalPath)}
	}
	if !isLocal(p) {
		return "", &PathError{Op: "resolve " + field, Path: p,
			Err: fmt.Errorf("%w: %w", ErrArtifactsMissing, ErrNoLocalPath)}
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if s.Home == "" {
			return "", &PathError{Op: "resolve " + field, Path: p,
				Err: fmt.Errorf("%w: cannot expand ~ without a home directory", ErrInvalidPath)}
		}
		p = filepath.Join(s.Home, p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(s.BaseDir, p)
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", &PathError{Op: "resolve " + field, Path: p, Err: fmt.Errorf("%w: %w", ErrInvalidPath, err)}
		}
		p = abs
	}
	return filepath.Clean(p), nil
}

// isLocal reports whether p is a file-system path rather than a scheme form
// such as "ollama:/name:tag" (a scheme of two or more letters, digits, "+",
// "-" or ".", starting with a letter, followed by ":/").
func isLocal(p string) bool {
	i := strings.Index(p, ":/")
	if i < 2 {
		return true
	}
	for j, c := range p[:i] {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return true
		}
	}
	return false
}

// checkList validates every listed path (see CheckPath) and returns them
// sorted and deduplicated.
func checkList(root string, list []string) ([]string, error) {
	paths := slices.Clone(list)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	for _, p := range paths {
		if err := CheckPath(p); err != nil {
			return nil, &PathError{Op: "check listed path", Root: root, Path: p, Err: err}
		}
	}
	return paths, nil
}

// CheckPath reports whether p may name a file inside a model folder: it
// must be non-empty, relative, slash-separated and clean (no "." or ".."
// elements, no empty elements, no trailing slash). It returns an error
// wrapping ErrUnsafePath, or ErrInvalidPath for a newline, a NUL byte or
// invalid UTF-8.
func CheckPath(p string) error {
	switch {
	case strings.ContainsAny(p, "\n\x00"):
		return fmt.Errorf("%w: contains a newline or NUL byte", ErrInvalidPath)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidPath)
	case p == "":
		return fmt.Errorf("%w: empty path", ErrUnsafePath)
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || filepath.IsAbs(p) || hasDrive(p):
		return fmt.Errorf("%w: absolute path", ErrUnsafePath)
	}
	for _, elem := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		if elem == ".." {
			return fmt.Errorf("%w: contains \"..\"", ErrUnsafePath)
		}
	}
	if !validPath(p) {
		return fmt.Errorf("%w: not a clean relative path", ErrUnsafePath)
	}
	return nil
}

// hasDrive reports a Windows drive prefix such as "C:/" or `C:\`.
func hasDrive(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '/' || p[2] == '\\') &&
		(p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z')
}

// validPath is fs.ValidPath without accepting ".": the root itself is not a
// file.
func validPath(p string) bool {
	if p == "." {
		return false
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
	}
	return true
}
