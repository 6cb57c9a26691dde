package sdk_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestServerArgs(t *testing.T) {
	base := []string{"vllm", "serve", "/m", "--port", "1"}
	owned := []string{"--port", "--host"}
	defaults := []sdk.Flag{{Name: "--gpu-memory-utilization", Value: "0.75"}, {Name: "--max-model-len", Value: "8192"}}
	tests := []struct {
		name         string
		extra        []string
		want         []string
		wantWarnings int
		wantErr      bool
	}{
		{"defaults only", nil, []string{"vllm", "serve", "/m", "--port", "1", "--gpu-memory-utilization", "0.75", "--max-model-len", "8192"}, 0, false},
		{"extra appended", []string{"--kv-cache-dtype", "fp8"},
			[]string{"vllm", "serve", "/m", "--port", "1", "--gpu-memory-utilization", "0.75", "--max-model-len", "8192", "--kv-cache-dtype", "fp8"}, 0, false},
		{"extra wins over a default", []string{"--gpu-memory-utilization", "0.9"},
			[]string{"vllm", "serve", "/m", "--port", "1", "--max-model-len", "8192", "--gpu-memory-utilization", "0.9"}, 1, false},
		{"name=value form", []string{"--max-model-len=4096"},
			[]string{"vllm", "serve", "/m", "--port", "1", "--gpu-memory-utilization", "0.75", "--max-model-len=4096"}, 1, false},
		{"given twice", []string{"--seed", "1", "--seed", "2"},
			[]string{"vllm", "serve", "/m", "--port", "1", "--gpu-memory-utilization", "0.75", "--max-model-len", "8192", "--seed", "1", "--seed", "2"}, 1, false},
		{"negative number is a value", []string{"--swap", "-1"},
			[]string{"vllm", "serve", "/m", "--port", "1", "--gpu-memory-utilization", "0.75", "--max-model-len", "8192", "--swap", "-1"}, 0, false},
		{"a flag that starts like a number is a flag", []string{"-1x", "a", "-1x", "b"},
			[]string{"vllm", "serve", "/m", "--port", "1", "--gpu-memory-utilization", "0.75", "--max-model-len", "8192", "-1x", "a", "-1x", "b"}, 1, false},
		{"owned flag refused", []string{"--port", "9"}, nil, 0, true},
		{"owned flag with = refused", []string{"--host=0.0.0.0"}, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings, err := sdk.ServerArgs(base, owned, defaults, tt.extra)
			if tt.wantErr {
				if !errors.Is(err, sdk.ErrBadRequest) {
					t.Fatalf("ServerArgs(%q) error = %v, want one wrapping ErrBadRequest", tt.extra, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ServerArgs(%q) = %q, want %q", tt.extra, got, tt.want)
			}
			if len(warnings) != tt.wantWarnings {
				t.Errorf("ServerArgs(%q) warnings = %q, want %d", tt.extra, warnings, tt.wantWarnings)
			}
		})
	}
}

func TestEntryLookupAndCommand(t *testing.T) {
	e := sdk.Entry{Name: "m", Raw: json.RawMessage(`{"chat_template":{"path":"/t.jinja"},"backend_config":{"executable":"uv run vllm","list":["a","b"],"bad":3,"empty":""},"download_path":null}`)}
	if got := e.LookupString("chat_template", "path"); got != "/t.jinja" {
		t.Errorf(`LookupString(chat_template, path) = %q, want "/t.jinja"`, got)
	}
	if _, ok := e.Lookup("download_path"); ok {
		t.Errorf("Lookup(download_path) found a null")
	}
	if got := e.LookupString("nothing", "here"); got != "" {
		t.Errorf("LookupString(missing) = %q", got)
	}
	for key, want := range map[string][]string{"executable": {"uv", "run", "vllm"}, "list": {"a", "b"}, "missing": {"vllm"}, "empty": {"vllm"}} {
		got, err := e.Command(key, "vllm")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Command(%q) = %q, %v, want %q", key, got, err, want)
		}
	}
	if _, err := e.Command("bad", "vllm"); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("Command(bad) error = %v, want ErrBadRequest", err)
	}
}
