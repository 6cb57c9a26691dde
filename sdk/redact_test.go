package sdk_test

import (
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://h:1/v1", "http://h:1/v1"},
		{"http://user:pass@h:1/v1", "http://user:xxxxx@h:1/v1"},
		{"http://user@h:1/v1", "http://user@h:1/v1"},
		{"https://x.azure.com/openai/d?api-version=2024-02-01&api-key=SECRET", "https://x.azure.com/openai/d?api-version=2024-02-01&api-key=xxxxx"},
		{"http://h/v1?api_key=SECRET&key=SECRET&token=SECRET&access_token=SECRET&X-Api-Key=SECRET", "http://h/v1?api_key=xxxxx&key=xxxxx&token=xxxxx&access_token=xxxxx&X-Api-Key=xxxxx"},
		{"http://h/v1?api%2Dkey=SECRET&sig=SECRET&password=SECRET", "http://h/v1?api%2Dkey=xxxxx&sig=xxxxx&password=xxxxx"},
		{"http://h/v1?", "http://h/v1"},
		{"http://h/v1#api-key=SECRET", "http://h/v1"},
		{"http://u:p@h:bad port/v1?api-key=SECRET", "http://u:xxxxx@h:bad port/v1?api-key=xxxxx"},
		{"http://u:p%40ss@h/v1/a@b", "http://u:xxxxx@h/v1/a@b"},
	}
	for _, tt := range tests {
		if got := sdk.RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactSecrets(t *testing.T) {
	const key = `k+y/"1"`
	in := `Authorization: Bearer k+y/"1"; q=k%2By%2F%221%22; p=k+y%2F%221%22; j={"auth":"Bearer k+y/\"1\""}`
	got := sdk.RedactSecrets(in, "", sdk.Secret(key))
	want := `Authorization: Bearer xxxxx; q=xxxxx; p=xxxxx; j={"auth":"Bearer xxxxx"}`
	if got != want {
		t.Errorf("RedactSecrets(%q) = %q, want %q", in, got, want)
	}
	if got := sdk.RedactSecrets("no secret here"); got != "no secret here" {
		t.Errorf("RedactSecrets without secrets = %q", got)
	}
}

func TestRedactText(t *testing.T) {
	in := `Get "http://u:pw@h/v1/models?api-key=Q1": dial tcp; server said: key KEY1 is wrong`
	want := `Get "http://u:xxxxx@h/v1/models?api-key=xxxxx": dial tcp; server said: key xxxxx is wrong`
	if got := sdk.RedactText(in, "KEY1"); got != want {
		t.Errorf("RedactText(%q) = %q, want %q", in, got, want)
	}
}

func TestURLSecrets(t *testing.T) {
	got := sdk.URLSecrets("http://u:p%40w@h/v1?api-version=1&api-key=K1&token=T%2B2#x")
	// The password as written and decoded, then the Basic credentials a
	// client sends for it (base64 of "u:p%40w" and "u:p@w").
	want := []string{"p%40w", "p@w", "dTpwJTQwdw==", "dTpwQHc=", "K1", "T%2B2", "T+2"}
	if len(got) != len(want) {
		t.Fatalf("URLSecrets() = %d secrets, want %q", len(got), want)
	}
	for i := range want {
		if got[i].Reveal() != want[i] {
			t.Errorf("URLSecrets()[%d] = %q, want %q", i, got[i].Reveal(), want[i])
		}
	}
}

// A server that echoes the Authorization header of a URL's user info shows
// the password in base64: it is scrubbed too.
func TestRedactEchoedBasicCredential(t *testing.T) {
	u := "http://bob:PASSW0RDX@127.0.0.1:1/v1"
	echo := "Unauthorized: Authorization: Basic Ym9iOlBBU1NXMFJEWA=="
	if got := sdk.RedactText(echo, sdk.URLSecrets(u)...); strings.Contains(got, "Ym9iOlBBU1NXMFJEWA==") {
		t.Errorf("RedactText() = %q, still shows the Basic credential", got)
	}
}

// A key that begins another is replaced after it, so no tail of the longer
// one is left behind whatever order the keys come in.
func TestRedactSecretsLongestFirst(t *testing.T) {
	in := "keys sk-1 and sk-1234567"
	want := "keys xxxxx and xxxxx"
	if got := sdk.RedactSecrets(in, "sk-1", "sk-1234567"); got != want {
		t.Errorf("RedactSecrets(%q, short, long) = %q, want %q", in, got, want)
	}
}
