package pluginhost

import (
	"slices"
	"testing"
	"time"
)

func TestPluginEnv(t *testing.T) {
	in := []string{
		"PATH=/usr/bin", "HOME=/home/u", "TMPDIR=/tmp", "LANG=C.UTF-8", "LC_ALL=C", "LC_TIME=C", "TZ=UTC",
		"XDG_DATA_HOME=/x", "OLLAMA_MODELS=/m", "SSL_CERT_FILE=/c", "SSL_CERT_DIR=/d",
		"HTTP_PROXY=p", "https_proxy=p", "NO_PROXY=n", "no_proxy=n",
		"IMAGEWORKS_PLUGIN_LOG_LEVEL=debug",
		"USER=u", "LOGNAME=u", "OLLAMA_HOST=h", "SYSTEMROOT=C:\\Windows", "PATHEXT=.EXE", "LOCALAPPDATA=l",
		// Withheld:
		"AWS_SECRET_ACCESS_KEY=s", "OPENAI_API_KEY=s", "GITHUB_TOKEN=s", "VLLM_API_KEY=s",
		"IMAGEWORKS_REGISTRY_DIR=/r", "IMAGEWORKS_REATTACH_BACKENDS={}", "IMAGEWORKS_PLUGIN_=x",
		"PLUGIN_MIN_PORT=1", "LD_PRELOAD=/evil.so", "XDG_=x", "LC_=x", "path=/lower", "SYSTEMROOTX=x", "=weird", "NOEQUALS",
	}
	want := []string{
		"PATH=/usr/bin", "HOME=/home/u", "TMPDIR=/tmp", "LANG=C.UTF-8", "LC_ALL=C", "LC_TIME=C", "TZ=UTC",
		"XDG_DATA_HOME=/x", "OLLAMA_MODELS=/m", "SSL_CERT_FILE=/c", "SSL_CERT_DIR=/d",
		"HTTP_PROXY=p", "https_proxy=p", "NO_PROXY=n", "no_proxy=n",
		"IMAGEWORKS_PLUGIN_LOG_LEVEL=debug",
		"USER=u", "LOGNAME=u", "OLLAMA_HOST=h", "SYSTEMROOT=C:\\Windows", "PATHEXT=.EXE", "LOCALAPPDATA=l",
	}
	if got := pluginEnv(in); !slices.Equal(got, want) {
		t.Errorf("pluginEnv(...) = %q, want %q", got, want)
	}
}

func TestParseStartTimeout(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"5s", 5 * time.Second, false},
		{"1500ms", 1500 * time.Millisecond, false},
		{"2", 2 * time.Second, false},
		{" 2.5 ", 2500 * time.Millisecond, false},
		{"0", 0, true},
		{"-1s", 0, true},
		{"soon", 0, true},
		{"", 0, true},
		{"1e9", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseStartTimeout(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("parseStartTimeout(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestNewReadsEnvironment(t *testing.T) {
	tests := []struct {
		env       testEnv
		opts      Options
		wantStart time.Duration
		wantMTLS  bool
	}{
		{env: testEnv{}, wantStart: DefaultStartTimeout},
		{env: testEnv{EnvStartTimeout: "3"}, wantStart: 3 * time.Second},
		{env: testEnv{EnvStartTimeout: "3"}, opts: Options{StartTimeout: time.Second}, wantStart: time.Second},
		{env: testEnv{EnvMTLS: "1"}, wantStart: DefaultStartTimeout, wantMTLS: true},
		{env: testEnv{EnvMTLS: "0"}, wantStart: DefaultStartTimeout},
	}
	for _, tt := range tests {
		opts := tt.opts
		opts.Getenv = tt.env.getenv
		h := New(opts)
		wantMTLS := tt.wantMTLS || h.goos == "windows"
		if h.startTimeout != tt.wantStart || h.mtls != wantMTLS || h.callTimeout != DefaultCallTimeout {
			t.Errorf("New(%v, %+v): start %v, mtls %v, call %v; want %v, %v, %v",
				tt.env, tt.opts.StartTimeout, h.startTimeout, h.mtls, h.callTimeout, tt.wantStart, wantMTLS, DefaultCallTimeout)
		}
	}
}

func TestProbeDeadline(t *testing.T) {
	tests := []struct {
		call, req, want time.Duration
	}{
		{30 * time.Second, 0, defaultProbeTimeout},
		{30 * time.Second, 5 * time.Second, 30 * time.Second},
		{30 * time.Second, 90 * time.Second, 90*time.Second + probeGrace},
		{5 * time.Minute, 0, 5 * time.Minute},
	}
	for _, tt := range tests {
		if got := probeDeadline(tt.call, tt.req); got != tt.want {
			t.Errorf("probeDeadline(%v, %v) = %v, want %v", tt.call, tt.req, got, tt.want)
		}
	}
}

// testEnv is a fake environment: Getenv and Environ for Options.
type testEnv map[string]string

func (e testEnv) getenv(k string) string { return e[k] }

func (e testEnv) environ() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}
