package core

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

// recordingSource serves one backend and records the names asked for.
type recordingSource struct {
	name   string
	b      sdk.Backend
	asked  []string
	closed bool
}

func (s *recordingSource) Backend(_ context.Context, name string) (sdk.Backend, error) {
	s.asked = append(s.asked, name)
	if name != s.name {
		return nil, ErrUnknownBackend
	}
	return s.b, nil
}

func (s *recordingSource) Close() error { s.closed = true; return nil }

func TestOptionsSource(t *testing.T) {
	dir := writeRegistry(t, `[{"name": "c", "backend": "counting"}, {"name": "o", "backend": "other"}]`, "")
	src := &recordingSource{name: "counting", b: &countingBackend{}}
	l, err := Open(context.Background(), Options{RegistryDir: dir, Source: src, Backends: map[string]sdk.Backend{"other": &countingBackend{}}})
	if err != nil {
		t.Fatal(err)
	}
	sel, err := l.Select(context.Background(), "c", SelectOptions{})
	if err != nil || sel.Endpoint != "http://127.0.0.1:1/v1" {
		t.Fatalf("Select(c) through Options.Source = %+v, %v", sel, err)
	}
	// Backends still come first: "other" never reaches the Source.
	if _, err := l.Select(context.Background(), "o", SelectOptions{}); err != nil {
		t.Fatalf("Select(o) through Options.Backends = %v", err)
	}
	if len(src.asked) != 1 || src.asked[0] != "counting" {
		t.Errorf("Source asked for %q, want only counting", src.asked)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if src.closed {
		t.Error("Loader.Close closed the caller's Source")
	}
}

func TestFirstOf(t *testing.T) {
	a := &recordingSource{name: "a", b: &countingBackend{}}
	b := &recordingSource{name: "b", b: &countingBackend{}}
	broken := errors.New("broken")
	failing := sourceFunc(func(context.Context, string) (sdk.Backend, error) { return nil, broken })
	ctx := context.Background()
	if got, err := FirstOf(a, b).Backend(ctx, "b"); err != nil || got != b.b {
		t.Errorf("FirstOf(a, b).Backend(b) = %v, %v, want b's backend", got, err)
	}
	if _, err := FirstOf(a, b).Backend(ctx, "z"); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("FirstOf(a, b).Backend(z) = %v, want ErrUnknownBackend", err)
	}
	if _, err := FirstOf(failing, b).Backend(ctx, "b"); !errors.Is(err, broken) {
		t.Errorf("FirstOf(failing, b).Backend(b) = %v, want the first source's error", err)
	}
	if _, err := FirstOf().Backend(ctx, "a"); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("FirstOf().Backend(a) = %v, want ErrUnknownBackend", err)
	}
	if _, err := (InProcess{}).Backend(ctx, "a"); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("InProcess{}.Backend(a) = %v, want ErrUnknownBackend", err)
	}
}

type sourceFunc func(context.Context, string) (sdk.Backend, error)

func (f sourceFunc) Backend(ctx context.Context, name string) (sdk.Backend, error) {
	return f(ctx, name)
}

func TestPluginHostOptions(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{}, filepath.Join("configs", PluginPinFile)},
		{Options{RegistryDir: "reg"}, filepath.Join("reg", PluginPinFile)},
		{Options{RegistryDir: "reg", RegistryFile: filepath.Join("x", "r.json")}, filepath.Join("x", PluginPinFile)},
	}
	for _, tt := range tests {
		if got := PluginHostOptions(tt.opts).PinFile; got != tt.want {
			t.Errorf("PluginHostOptions(%+v).PinFile = %q, want %q", tt.opts, got, tt.want)
		}
	}
	o := PluginHostOptions(Options{PluginDirs: []string{"p"}, ExecutableDir: "e"})
	if len(o.Dirs) != 1 || o.Dirs[0] != "p" || o.ExecutableDir != "e" || o.Getenv == nil {
		t.Errorf("PluginHostOptions = %+v, want the loader's folders and a Getenv", o)
	}
}
