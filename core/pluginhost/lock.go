package pluginhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"sync"

	"github.com/imageworks-ai/loader/internal/safefile"
	"github.com/imageworks-ai/loader/sdk"
)

// PinFileName is the name of the plugin pin file (plugins.lock.json) in
// the registry folder. "Lock" alone means a model's version lock.
const PinFileName = "plugins.lock.json"

// lockFormat is the lock file's format version.
const lockFormat = 1

// relockHint ends every message about an untrusted plugin.
const relockHint = "if you trust the installed plugins, run imageworks-loader plugins lock"

// PinFile is the content of plugins.lock.json: what each backend plugin
// binary must hash to, per platform. Maps marshal with sorted keys, so the
// JSON is stable.
type PinFile struct {
	// Format is the file's format version, 1.
	Format int `json:"format"`
	// Plugins maps a backend name to its pins.
	Plugins map[string]PinnedPlugin `json:"plugins"`
}

// PinnedPlugin pins one backend plugin.
type PinnedPlugin struct {
	// Version is the version the plugin's Info gave when it was locked.
	Version string `json:"version"`
	// SHA256 maps GOOS/GOARCH (such as linux/amd64) to the hex SHA-256 of
	// the plugin binary for that platform.
	SHA256 map[string]string `json:"sha256"`
}

// platform returns this host's GOOS/GOARCH key in the lock file.
func platform() string { return runtime.GOOS + "/" + runtime.GOARCH }

// ReadPinFile reads and checks the plugin pin file at path. Errors wrap
// fs.ErrNotExist when nothing by that name exists, and ctx's error when
// ctx is done before it is read; a file that is not a valid format-1 lock
// file is an error naming it (wrapping the JSON decoder's error when the
// JSON itself is bad). A symbolic link to nothing, a FIFO or any other
// file that is not regular is an error naming it that does not wrap
// fs.ErrNotExist: the file is there but cannot be read, so pinning fails
// closed. Reading never blocks.
func ReadPinFile(ctx context.Context, path string) (*PinFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading plugin lock file %s: %w", path, err)
	}
	data, _, err := safefile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading plugin lock file: %w", err)
	}
	var lf PinFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lf); err != nil {
		return nil, fmt.Errorf("reading plugin lock file %s: %w", path, err)
	}
	if lf.Format != lockFormat {
		return nil, fmt.Errorf("reading plugin lock file %s: format %d, want %d", path, lf.Format, lockFormat)
	}
	for name, p := range lf.Plugins {
		for plat, sum := range p.SHA256 {
			if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("reading plugin lock file %s: backend %q, %s: %q is not a hex SHA-256", path, name, plat, sum)
			}
		}
	}
	if lf.Plugins == nil {
		lf.Plugins = map[string]PinnedPlugin{}
	}
	return &lf, nil
}

// Marshal returns the lock file as indented JSON with sorted keys and a
// final newline. Its error is encoding/json's, which a PinFile (strings
// and maps of strings) never gives in practice.
func (lf *PinFile) Marshal() ([]byte, error) {
	data, err := json.MarshalIndent(lf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// checkTrust checks that the lock file, if there is one, pins a SHA-256
// for backend name on this platform, and returns it (nil when pinning is
// off), or an error wrapping ErrPluginUntrusted that says how to re-lock.
// It does not hash the binary: go-plugin's SecureConfig does that right
// before the process would start, and mismatch then explains a refusal.
func (h *Host) checkTrust(ctx context.Context, name string) ([]byte, error) {
	if h.opts.PinFile == "" {
		return nil, nil
	}
	lf, err := ReadPinFile(ctx, h.opts.PinFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil && ctx.Err() != nil {
		return nil, err // cancelled: not a question of trust
	}
	if err != nil {
		// Fail closed: a lock file that is there but cannot be read or
		// understood (a dangling link, a FIFO, bad JSON) refuses every plugin.
		return nil, fmt.Errorf("%w: %w (every plugin is refused until %s is fixed or removed)", ErrPluginUntrusted, err, h.opts.PinFile)
	}
	p, ok := lf.Plugins[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s does not list backend %s; %s", ErrPluginUntrusted, h.opts.PinFile, name, relockHint)
	}
	want, ok := p.SHA256[platform()]
	if !ok {
		return nil, fmt.Errorf("%w: %s lists no SHA-256 of backend %s for %s; %s", ErrPluginUntrusted, h.opts.PinFile, name, platform(), relockHint)
	}
	return hex.DecodeString(want)
}

// mismatch is the error for a binary at path whose SHA-256 is not the
// pinned want.
func (h *Host) mismatch(path string, want []byte) error {
	got, err := h.fileSHA256(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPluginUntrusted, err)
	}
	return fmt.Errorf("%w: its SHA-256 is %s but %s pins %x; %s", ErrPluginUntrusted, got, h.opts.PinFile, want, relockHint)
}

// fileKey identifies a file's content for the hash cache.
type fileKey struct {
	path string
	safefile.Version
}

// fileSHA256 returns the hex SHA-256 of the file at path, cached per Host
// by path, size, modification and change times and inode. The file is
// opened without blocking and refused unless it is regular.
func (h *Host) fileSHA256(path string) (string, error) {
	f, fi, err := safefile.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing plugin: %w", err)
	}
	defer f.Close()
	key := fileKey{path: path, Version: safefile.VersionOf(fi)}
	h.mu.Lock()
	sum, ok := h.hashes[key]
	h.mu.Unlock()
	if ok {
		return sum, nil
	}
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return "", fmt.Errorf("hashing plugin %s: %w", path, err)
	}
	sum = hex.EncodeToString(hash.Sum(nil))
	h.mu.Lock()
	h.hashes[key] = sum
	h.mu.Unlock()
	return sum, nil
}

// WritePinFile writes a plugin pin file at path pinning every plugin found
// (the one used for each backend name; attached plugins are not pinned):
// its Info version and the SHA-256 of its binary for this platform. Pins
// for other platforms are kept while the version stays the same; this
// platform's pin of a backend no longer installed is dropped. Plugins are
// started for Info without checking the old pin file: writing it is how a
// user trusts what is installed.
//
// Nothing is written when a plugin fails to start or answer Info; the error
// then joins one *PluginError per failing plugin. Other errors: reading an
// existing pin file that is not valid, writing the file.
func (h *Host) WritePinFile(ctx context.Context, path string) error {
	if h.configErr != nil {
		return h.configErr
	}
	old, err := ReadPinFile(ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = &PinFile{Format: lockFormat, Plugins: map[string]PinnedPlugin{}}
	case err != nil:
		return fmt.Errorf("writing plugin lock file: %w (fix or remove it)", err)
	}
	cands, err := discover(ctx, h.searchDirs(), h.goos)
	if err != nil {
		return fmt.Errorf("writing plugin lock file %s: %w", path, err)
	}
	winners := winnersOf(cands)
	pins, err := h.pinAll(ctx, winners)
	if err != nil {
		return fmt.Errorf("writing plugin lock file %s: %w", path, err)
	}
	data, err := relock(old, pins).Marshal()
	if err != nil {
		return fmt.Errorf("writing plugin lock file %s: %w", path, err)
	}
	if err := safefile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing plugin lock file: %w", err)
	}
	h.forgetFailures()
	return nil
}

// pin is what the lock file records of one plugin on this platform.
type pin struct {
	name, version, sum string
}

// pinAll hashes each candidate and asks its Info, concurrently. The error
// joins one *PluginError per candidate that failed.
func (h *Host) pinAll(ctx context.Context, winners []candidate) ([]pin, error) {
	pins := make([]pin, len(winners))
	errs := make([]error, len(winners))
	var wg sync.WaitGroup
	for k, c := range winners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum, err := h.fileSHA256(c.path)
			if err != nil {
				errs[k] = &PluginError{Plugin: c.name, Path: c.path, Err: err}
				return
			}
			info, err := h.infoUnpinned(ctx, c)
			pins[k], errs[k] = pin{name: c.name, version: info.Version, sum: sum}, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pins, nil
}

// relock returns old with this platform's pins replaced by pins: pins for
// other platforms stay while the version stays the same, and this
// platform's pin of a backend not in pins is dropped.
func relock(old *PinFile, pins []pin) *PinFile {
	plat := platform()
	next := &PinFile{Format: lockFormat, Plugins: map[string]PinnedPlugin{}}
	for name, p := range old.Plugins {
		rest := map[string]string{}
		for k, v := range p.SHA256 {
			if k != plat {
				rest[k] = v
			}
		}
		if len(rest) > 0 {
			next.Plugins[name] = PinnedPlugin{Version: p.Version, SHA256: rest}
		}
	}
	for _, pn := range pins {
		p, ok := next.Plugins[pn.name]
		if !ok || p.Version != pn.version {
			p = PinnedPlugin{Version: pn.version, SHA256: map[string]string{}}
		}
		p.SHA256[plat] = pn.sum
		next.Plugins[pn.name] = p
	}
	return next
}

// winnersOf keeps the first candidate of each name (discover's order).
func winnersOf(cands []candidate) []candidate {
	var out []candidate
	for _, c := range cands {
		if len(out) == 0 || out[len(out)-1].name != c.name {
			out = append(out, c)
		}
	}
	return out
}

// infoUnpinned returns the Info of candidate c: from the running instance
// when the Host runs that binary, else from a plugin started just for it
// without checking the lock file.
func (h *Host) infoUnpinned(ctx context.Context, c candidate) (_ sdk.Info, err error) {
	h.mu.Lock()
	s := h.slots[c.name]
	h.mu.Unlock()
	if s != nil {
		select {
		case <-s.done:
			if s.err == nil && !s.inst.attached && s.inst.path == c.path && !s.inst.dead() && s.inst.wait(ctx) == nil {
				return s.inst.info, nil
			}
		default:
		}
	}
	inst, err := h.launch(ctx, c.name, c.path, false)
	if err != nil {
		return sdk.Info{}, err
	}
	defer inst.close()
	if err := inst.wait(ctx); err != nil {
		return sdk.Info{}, err
	}
	return inst.info, nil
}

// forgetFailures drops remembered start failures, so that plugins refused
// under an old lock file are tried again.
func (h *Host) forgetFailures() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, s := range h.slots {
		select {
		case <-s.done:
			if s.err != nil {
				delete(h.slots, name)
			}
		default:
		}
	}
}
