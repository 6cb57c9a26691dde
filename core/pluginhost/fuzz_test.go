package pluginhost

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseFileName(f *testing.F) {
	for _, s := range []string{"imageworks-backend-vllm", "imageworks-backend-a-b_v1.2.3-rc.1+x", "imageworks-backend-x.exe", "imageworks-backend-_v1.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, base string) {
		for _, goos := range []string{"linux", "windows"} {
			name, _, _, ok := parseFileName(base, goos)
			sname, _, sok := splitFileName(base, goos)
			if sname != name || sok != ok {
				t.Errorf("splitFileName(%q, %s) = %q, %v; parseFileName says %q, %v", base, goos, sname, sok, name, ok)
			}
			if !ok {
				continue
			}
			if !validName(name) || strings.ContainsAny(name, `/\._`) {
				t.Errorf("parseFileName(%q, %s) = name %q, want a valid backend name", base, goos, name)
			}
			if !strings.HasPrefix(strings.ToLower(base), ExecutablePrefix+name) {
				t.Errorf("parseFileName(%q, %s) = name %q, not the file's", base, goos, name)
			}
		}
	})
}

func FuzzLockFile(f *testing.F) {
	f.Add([]byte(`{"format":1,"plugins":{"vllm":{"version":"1.0.0","sha256":{"linux/amd64":"` + strings.Repeat("a", 64) + `"}}}}`))
	f.Add([]byte(`{"format":1,"plugins":{}}`))
	f.Add([]byte(`{"format":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), PinFileName)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lf, err := ReadPinFile(context.Background(), path)
		if err != nil {
			return
		}
		out, err := lf.Marshal()
		if err != nil {
			t.Fatalf("Marshal() of a valid lock file: %v", err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := ReadPinFile(context.Background(), path)
		if err != nil {
			t.Fatalf("ReadPinFile(Marshal()) = %v", err)
		}
		if !reflect.DeepEqual(lf, again) {
			t.Errorf("ReadPinFile(Marshal(x)) = %+v, want %+v", again, lf)
		}
		if out2, _ := again.Marshal(); !bytes.Equal(out, out2) {
			t.Errorf("Marshal() is not stable:\n%s\n%s", out, out2)
		}
	})
}
