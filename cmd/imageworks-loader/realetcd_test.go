//go:build realetcd

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvRealEtcd names the etcd binary TestRealEtcd runs (make test-fleet
// passes Debian's, from the etcd-server package).
const EnvRealEtcd = "IMAGEWORKS_REAL_ETCD"

// TestRealEtcd runs the same scripts against a real etcd server. It
// exists only with the realetcd build tag (make test-fleet sets it and
// IMAGEWORKS_REAL_ETCD, which must then name the etcd binary).
func TestRealEtcd(t *testing.T) {
	bin := os.Getenv(EnvRealEtcd)
	if bin == "" {
		t.Fatal(EnvRealEtcd + " is unset: name the etcd binary (Debian's etcd-server package has one)")
	}
	bin, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%s: %v", EnvRealEtcd, err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		t.Fatal(err)
	}
	runFleetScripts(t, bin)
}
