package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/imageworks-ai/loader/internal/safefile"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
)

// backends is GET /v1/backends: the health of every backend endpoint of
// the registry, as `imageworks-loader backends` reports it.
func (h *handler) backends(w http.ResponseWriter, r *http.Request) {
	rows, err := h.l.Health(r.Context())
	if err != nil {
		writeError(w, err, "")
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

// lock is POST /v1/lock {name, set_expected?}: the entry's lock state.
func (h *handler) lock(w http.ResponseWriter, r *http.Request) {
	var setExpected bool
	h.writeNamed(w, r, func(f *fields) { setExpected = f.boolean("set_expected") },
		func(ctx context.Context, l *core.Loader, name string) (any, error) {
			return l.Lock(ctx, name, core.LockOptions{SetExpected: setExpected})
		})
}

// unlock is POST /v1/unlock {name}: the entry's lock state.
func (h *handler) unlock(w http.ResponseWriter, r *http.Request) {
	h.writeNamed(w, r, nil, func(ctx context.Context, l *core.Loader, name string) (any, error) {
		return l.Unlock(ctx, name)
	})
}

// errForbidden marks an image_path the server will not read.
var errForbidden = errors.New("image_path is outside the image root")

// probeRequest is a probe's input, from JSON or a multipart form.
type probeRequest struct {
	name, prompt string
	imagePath    string
	image        []byte
}

// probeVision is POST /v1/probe/vision: {name, image_path} as the Python
// service (image_path only under the image root, else 403), or the image
// in the body: {name, image_base64, prompt?} or a multipart form with
// fields name and prompt and a file part "image". Every other failure is
// a 400 with the reason, as the Python service answers.
func (h *handler) probeVision(w http.ResponseWriter, r *http.Request) {
	req, ok := h.readProbe(w, r)
	if !ok {
		return
	}
	opts := core.ProbeOptions{Image: req.image, Prompt: req.prompt, MaxImageBytes: h.opts.MaxImageBytes}
	// The entry is checked first, as the Python service does.
	e, err := h.l.Entry(r.Context(), req.name)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		writeDetail(w, http.StatusBadRequest, notFoundDetail(req.name))
		return
	case err != nil:
		writeDetail(w, http.StatusBadRequest, oneLine(err))
		return
	case !e.HasCapability("vision"):
		writeDetail(w, http.StatusBadRequest, fmt.Sprintf("Model '%s' is not vision-capable", req.name))
		return
	}
	if req.imagePath != "" {
		img, err := h.imageFile(req.imagePath)
		if errors.Is(err, errForbidden) {
			writeDetail(w, http.StatusForbidden, oneLine(err))
			return
		}
		if err != nil {
			writeDetail(w, http.StatusBadRequest, oneLine(err))
			return
		}
		opts.Image = img
	}
	var rep core.ProbeReport
	err = h.write(r.Context(), func(l *core.Loader) (err error) {
		rep, err = l.ProbeVision(r.Context(), req.name, opts)
		return err
	})
	if err != nil {
		writeDetail(w, http.StatusBadRequest, oneLine(err))
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// readProbe reads a probe request, answering it (413, 422) and returning
// false when it cannot be used.
func (h *handler) readProbe(w http.ResponseWriter, r *http.Request) (probeRequest, bool) {
	limit := base64.StdEncoding.EncodedLen(int(h.opts.MaxImageBytes)) + maxProbeOverhead
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return h.readProbeForm(w, r, int64(limit))
	}
	data, err := readBody(w, r, int64(limit))
	if err != nil {
		writeError(w, err, "")
		return probeRequest{}, false
	}
	f, bad := decodeObject(data)
	if bad != nil {
		writeDetail(w, http.StatusUnprocessableEntity, bad.problems)
		return probeRequest{}, false
	}
	req := probeRequest{name: f.str("name", true), prompt: f.str("prompt", false)}
	b64 := f.str("image_base64", false)
	req.imagePath = f.str("image_path", b64 == "")
	if b64 != "" {
		img, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			f.bad.add("image_base64 is not valid base64", "value_error.base64", "image_base64")
		}
		req.image = img
	}
	return req, valid(w, f)
}

// readProbeForm reads a multipart probe: fields name and prompt, file
// part image.
func (h *handler) readProbeForm(w http.ResponseWriter, r *http.Request, limit int64) (probeRequest, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(limit); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, err, "")
		} else {
			writeDetail(w, http.StatusBadRequest, "reading the multipart form: "+oneLine(err))
		}
		return probeRequest{}, false
	}
	defer r.MultipartForm.RemoveAll()
	bad := &invalid{}
	req := probeRequest{name: r.FormValue("name"), prompt: r.FormValue("prompt")}
	if req.name == "" {
		bad.add("field required", "value_error.missing", "name")
	}
	file, _, err := r.FormFile("image")
	if err != nil {
		bad.add("field required", "value_error.missing", "image")
	} else {
		defer file.Close()
		req.image, err = io.ReadAll(io.LimitReader(file, h.opts.MaxImageBytes+1))
		if err != nil {
			writeDetail(w, http.StatusBadRequest, "reading the image: "+oneLine(err))
			return probeRequest{}, false
		}
	}
	if len(bad.problems) > 0 {
		writeDetail(w, http.StatusUnprocessableEntity, bad.problems)
		return probeRequest{}, false
	}
	return req, true
}

// imageFile reads the image at path, which must lie inside the image root
// (a relative path is taken from it). The file is opened through an
// os.Root, so neither ".." nor a symlink leads out of the root; such a
// path is errForbidden, as is any path when there is no image root.
func (h *handler) imageFile(path string) ([]byte, error) {
	if h.opts.ImageRoot == "" {
		return nil, fmt.Errorf("%w: the server has no image root (serve --image-root DIR)", errForbidden)
	}
	rootDir, err := filepath.Abs(h.opts.ImageRoot)
	if err != nil {
		return nil, fmt.Errorf("image root: %w", err)
	}
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(rootDir, abs)
	}
	rel, err := filepath.Rel(rootDir, filepath.Clean(abs))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s: %w", path, errForbidden)
	}
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return nil, fmt.Errorf("image root: %w", err)
	}
	defer root.Close()
	f, err := root.OpenFile(rel, safefile.ReadFlags, 0) // a FIFO never blocks the request
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, core.ErrImageMissing)
		}
		// Whatever else failed, a path that resolves out of the root is
		// refused as such.
		if real, rerr := filepath.EvalSymlinks(abs); rerr == nil {
			if r, rerr := filepath.Rel(rootDir, real); rerr != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return nil, fmt.Errorf("%s: %w", path, errForbidden)
			}
		}
		return nil, fmt.Errorf("reading image %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading image %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file: %w", path, core.ErrNotImage)
	}
	if fi.Size() > h.opts.MaxImageBytes {
		return nil, fmt.Errorf("%s: %d bytes, limit %d: %w", path, fi.Size(), h.opts.MaxImageBytes, core.ErrImageTooLarge)
	}
	return io.ReadAll(io.LimitReader(f, h.opts.MaxImageBytes+1))
}
