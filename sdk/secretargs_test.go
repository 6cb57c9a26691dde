package sdk_test

import (
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestIsSecretFlag(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"--api-key", true},
		{"--api-keys", true},
		{"--API_KEY", true},
		{"--token", true},
		{"--hf-token", true},
		{"--hf_token", true},
		{"--password", true},
		{"--db-password", true},
		{"--openai-api-key", true},
		{"--aws-secret", true},
		{"--api-key-file", false},
		{"--ssl-keyfile", false},
		{"--max-num-batched-tokens", false},
		{"--tokenizer", false},
		{"--key", false}, // no name before the ending
		{"-k", false},
		{"--port", false},
		{"api-key", false},
	}
	for _, tt := range tests {
		if got := sdk.IsSecretFlag(tt.name); got != tt.want {
			t.Errorf("IsSecretFlag(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSecretArgs(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"vllm", "serve", "/m", "--port", "8000"}, nil},
		{[]string{"vllm", "--api-key", "sk-1", "--port", "1"}, []string{"sk-1"}},
		{[]string{"vllm", "--api-key=sk-2"}, []string{"sk-2"}},
		{[]string{"vllm", "--api_key", "sk-3"}, []string{"sk-3"}},
		{[]string{"lmdeploy", "--api-keys", "k1", "k2", "--tp", "1"}, []string{"k1", "k2"}},
		{[]string{"x", "--hf-token", "hf_x", "--db-password=pw", "--api-key="}, []string{"hf_x", "pw"}},
		{[]string{"x", "--api-key", "--port", "1"}, nil},
		{[]string{"x", "--api-key", "--", "positional"}, nil},
		{[]string{"x", "--api-key"}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range sdk.SecretArgs(tt.args) {
			got = append(got, s.Reveal())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("SecretArgs(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestRedactArgs(t *testing.T) {
	args := []string{"vllm", "serve", "/m", "--api-key", "sk-1", "--hf-token=hf_2", "--api-keys", "k3", "k4",
		"--note", "uses sk-1", "--seed", "7", "--extra", "plugin-secret"}
	got := sdk.RedactArgs(args, "plugin-secret")
	want := []string{"vllm", "serve", "/m", "--api-key", "xxxxx", "--hf-token=xxxxx", "--api-keys", "xxxxx", "xxxxx",
		"--note", "uses xxxxx", "--seed", "7", "--extra", "xxxxx"}
	if !slices.Equal(got, want) {
		t.Errorf("RedactArgs(%q) = %q, want %q", args, got, want)
	}
	if args[4] != "sk-1" {
		t.Errorf("RedactArgs changed its argument: %q", args)
	}
	plain := []string{"vllm", "serve", "/m"}
	if got := sdk.RedactArgs(plain); !slices.Equal(got, plain) {
		t.Errorf("RedactArgs(%q) = %q, want it unchanged", plain, got)
	}
}
