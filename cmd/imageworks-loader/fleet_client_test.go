package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core"
)

func TestWantsFleet(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want bool
	}{
		{[]string{"list"}, "", false},
		{[]string{"--fleet", "http://e:2379", "list"}, "", true},
		{[]string{"--fleet=http://e:2379", "list"}, "", true},
		{[]string{"--fleet=", "list"}, "", false},
		{[]string{"list"}, "http://e:2379", true},
		{[]string{"add", "--", "--fleet", "x"}, "", false},
		{[]string{"--fleet-ttl", "3s", "list"}, "", false},
		// Every --fleet counts (kong adds them up); one given, even
		// empty, overrides the environment, as in kong.
		{[]string{"--fleet=", "--fleet", "http://e:2379", "list"}, "", true},
		{[]string{"--fleet", "http://e:2379", "--fleet=", "list"}, "", true},
		{[]string{"--fleet=", "list"}, "http://e:2379", false},
		{[]string{"--fleet", " , ", "list"}, "", false},
		{[]string{"list"}, ",", false},
	} {
		got := wantsFleet(c.args, func(k string) string {
			if k == "IMAGEWORKS_FLEET" {
				return c.env
			}
			return ""
		})
		if got != c.want {
			t.Errorf("wantsFleet(%q, IMAGEWORKS_FLEET=%q) = %t, want %t", c.args, c.env, got, c.want)
		}
	}
}

// TestWantsFleetCompletion: a shell asking for completions (COMP_LINE) is
// answered here, fleet or not: completion never dials one.
func TestWantsFleetCompletion(t *testing.T) {
	env := map[string]string{"IMAGEWORKS_FLEET": "http://e:2379", "COMP_LINE": "imageworks-loader sel"}
	if wantsFleet([]string{"--fleet", "http://e:2379"}, func(k string) string { return env[k] }) {
		t.Error("wantsFleet with COMP_LINE set = true, want false")
	}
}

// TestNoFleetBinary: without imageworks-loader-fleet beside the binary or
// on PATH, the error says how to get one.
func TestNoFleetBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := findFleetBinary(); !errors.Is(err, errNoFleetClient) {
		t.Fatalf("findFleetBinary() = %v, want errNoFleetClient", err)
	}
}

// TestPublishedURL: a listener on loopback is not published (no other host
// reaches it); a wildcard one is, at the advertised host.
func TestPublishedURL(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := core.Open(context.Background(), core.Options{RegistryDir: dir, HostID: "h", Advertise: "gpu-a"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for addr, want := range map[string]string{
		"127.0.0.1:8765": "", "[::1]:8100": "", "localhost:8100": "",
		":8765": "http://gpu-a:8765", "0.0.0.0:8100": "http://gpu-a:8100/v1", "10.0.0.5:8100": "http://10.0.0.5:8100/v1",
	} {
		suffix := ""
		if strings.HasSuffix(want, "/v1") {
			suffix = "/v1"
		}
		if got := publishedURL(l, addr, suffix); got != want {
			t.Errorf("publishedURL(%s) = %q, want %q", addr, got, want)
		}
	}
}
