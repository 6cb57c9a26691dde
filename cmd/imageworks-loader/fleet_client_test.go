package main

import (
	"errors"
	"testing"
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
