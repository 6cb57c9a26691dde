package standin

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Usage is the command line Main understands.
const Usage = `usage: standin vllm|lmdeploy|ollama|openai [flags]
       standin serve MODEL --host H --port P --served-model-name ID [...]
       standin serve api_server MODEL --server-name H --server-port P --model-name ID [...]

Serves a stand-in of the server until interrupted or killed. The two serve
forms are vLLM's and LMDeploy's own command lines (what the bundled plugins
run for activate): set an entry's backend_config.executable to this program
and activate runs it in place of vllm or lmdeploy. They serve the one model
ID (flags they do not know are skipped) and steer by environment:
STANDIN_BEHAVIOUR, STANDIN_ARGS_FILE, STANDIN_READY_AFTER, STANDIN_CHUNK_DELAY,
STANDIN_CHUNK_STAMP (1: every streamed chunk carries "standin_sent_unix_ns"),
STANDIN_BODY_LOG.

flags:
  --models IDS        models served, comma-separated (repeatable)
  --vision IDS        which of them can see (repeatable)
  --alias ID=ALIAS    a further vLLM served name for ID (repeatable)
  --answer TEXT       fixed answer of every model (default: name the image's colour)
  --api-key KEY       key required as "Authorization: Bearer KEY"
  --echo-auth         hostile: a 401 repeats the request's Authorization header
  --models-json F     further model ids from F, a JSON array of strings (any bytes)
  --version V         server version copied (selects version-specific shapes)
  --status S          health state (vllm: dead; lmdeploy: healthy|sleeping|unhealthy|initializing)
  --fail MODE         500|badjson|slow
  --fail-path PATH    fail only requests for PATH
  --delay D           wait of --fail slow (default 10s)
  --addr ADDR         listen address (default 127.0.0.1:0)
  --url-file F        write the server's root URL to F once it is listening
  --requests-file F   append every request received to F as a JSON line
`

// listFlag collects repeatable, comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// Main runs a stand-in from a command line (args without the program name),
// printing the URL on stdout and serving until SIGINT or SIGTERM. It
// returns the process exit status: 0 after a signal, 2 for a bad command
// line, 1 when the server cannot start. A test binary can expose it as a
// command: testscript.Main(m, map[string]func(){"standin": func() {
// os.Exit(standin.Main(os.Args[1:])) }}).
//
// "serve ..." is vLLM's command line and "serve api_server ..." LMDeploy's
// (see ServerMain).
func Main(args []string) int {
	if len(args) > 0 && args[0] == "serve" {
		if len(args) > 1 && args[1] == "api_server" {
			return ServerMain(LMDeploy, args)
		}
		return ServerMain(VLLM, args)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, os.Stdout, os.Stderr)
}

// Run is Main with the context that ends serving and the output streams
// given.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, Usage)
		return 2
	}
	kind := Kind(args[0])
	fs := flag.NewFlagSet("standin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, Usage) }
	var models, vision, aliases listFlag
	fs.Var(&models, "models", "")
	fs.Var(&vision, "vision", "")
	fs.Var(&aliases, "alias", "")
	answerText := fs.String("answer", "", "")
	key := fs.String("api-key", "", "")
	version := fs.String("version", "", "")
	status := fs.String("status", "", "")
	fail := fs.String("fail", "", "")
	failPath := fs.String("fail-path", "", "")
	delay := fs.Duration("delay", 0, "")
	addr := fs.String("addr", "127.0.0.1:0", "")
	urlFile := fs.String("url-file", "", "")
	reqFile := fs.String("requests-file", "", "")
	echoAuth := fs.Bool("echo-auth", false, "")
	modelsJSON := fs.String("models-json", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "standin: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	switch kind {
	case VLLM, LMDeploy, Ollama, OpenAI:
	default:
		fmt.Fprintf(stderr, "standin: unknown server kind %q (want vllm, lmdeploy, ollama or openai)\n", kind)
		return 2
	}
	mode := FailMode(*fail)
	switch mode {
	case FailNone, FailInternal, FailBadJSON, FailSlow:
	default:
		fmt.Fprintf(stderr, "standin: unknown --fail mode %q (want 500, badjson or slow)\n", *fail)
		return 2
	}
	if *modelsJSON != "" {
		data, err := os.ReadFile(*modelsJSON)
		var ids []string
		if err == nil {
			err = json.Unmarshal(data, &ids)
		}
		if err != nil {
			fmt.Fprintf(stderr, "standin: --models-json: %v\n", err)
			return 2
		}
		models = append(models, ids...)
	}
	cfg := Config{
		EchoAuth: *echoAuth,
		APIKey:   *key, Version: *version, Status: *status,
		Fail: Failure{Mode: mode, Path: *failPath, Delay: *delay},
	}
	sees := map[string]bool{}
	for _, v := range vision {
		sees[v] = true
	}
	for _, id := range models {
		cfg.Models = append(cfg.Models, Model{ID: id, Vision: sees[id], Answer: *answerText})
	}
	for _, v := range vision {
		if !contains(models, v) {
			cfg.Models = append(cfg.Models, Model{ID: v, Vision: true, Answer: *answerText})
		}
	}
	for _, a := range aliases {
		id, alias, ok := strings.Cut(a, "=")
		found := false
		for i := range cfg.Models {
			if ok && cfg.Models[i].ID == id {
				cfg.Models[i].Aliases = append(cfg.Models[i].Aliases, alias)
				found = true
			}
		}
		if !found {
			fmt.Fprintf(stderr, "standin: --alias %q: want ID=ALIAS for a served ID\n", a)
			return 2
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "standin: %v\n", err)
		return 1
	}
	s := start(kind, cfg, ln)
	defer s.Close()
	if *reqFile != "" {
		f, err := os.OpenFile(*reqFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "standin: %v\n", err)
			return 1
		}
		defer f.Close()
		var mu sync.Mutex
		s.mu.Lock()
		s.onReq = func(r Request) {
			line, _ := json.Marshal(struct {
				Method string              `json:"method"`
				Path   string              `json:"path"`
				Query  string              `json:"query,omitempty"`
				Header map[string][]string `json:"header"`
				Body   string              `json:"body"`
			}{r.Method, r.Path, r.Query, r.Header, string(r.Body)})
			mu.Lock()
			defer mu.Unlock()
			f.Write(append(line, '\n'))
		}
		s.mu.Unlock()
	}
	if *urlFile != "" {
		if err := writeFileAtomic(*urlFile, []byte(s.URL+"\n")); err != nil {
			fmt.Fprintf(stderr, "standin: %v\n", err)
			return 1
		}
	}
	fmt.Fprintln(stdout, s.URL)
	<-ctx.Done()
	return 0
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// writeFileAtomic writes data to a temporary file next to name and renames
// it into place, so a reader never sees a partial URL.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".standin-url-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// WaitForFile waits until name exists and is non-empty, and returns its
// content trimmed of space. It gives up when ctx ends or after timeout. It
// lets a test that started Main in the background read the URL.
func WaitForFile(ctx context.Context, name string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if b, err := os.ReadFile(name); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("standin: waiting for %s: %w", name, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}
