package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/imageworks-ai/loader"

// pkg is one package of the module: its path relative to the module
// ("core/registry"), folder, non-test Go files and imports.
type pkg struct {
	rel, dir string
	files    []string
	imports  []string
}

// modulePackages lists the module's packages with `go list`.
func modulePackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{join .GoFiles \",\"}}\t{{join .Imports \",\"}}", module+"/...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("go list line %q", line)
		}
		p := pkg{rel: strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/"), dir: f[1]}
		if f[2] != "" {
			p.files = strings.Split(f[2], ",")
		}
		if f[3] != "" {
			p.imports = strings.Split(f[3], ",")
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// under reports whether rel is the package prefix or one below it.
func under(rel, prefix string) bool {
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

// TestDependencyDirection: each layer imports only the layers below it.
func TestDependencyDirection(t *testing.T) {
	rules := []struct {
		from   string   // packages this rule is about
		except []string // packages under from it does not hold for
		not    []string // module packages (and below) they may not import
		why    string
	}{
		{"sdk", []string{"sdk/plugintest"}, []string{"core", "httpapi", "warm", "cmd", "plugins", "examples"},
			"a plugin author's sdk stands alone"},
		{"sdk/plugintest", nil, []string{"core/registry", "core/artifact", "core/supervise", "httpapi", "warm", "cmd", "plugins"},
			"the kit drives plugins through the real host (core/pluginhost) and nothing else of core"},
		{"core", nil, []string{"httpapi", "warm", "gateway", "cmd", "plugins", "examples", "internal/standin"},
			"core is a library below the CLI and the server"},
		{"plugins", nil, []string{"core", "httpapi", "warm", "cmd"},
			"a plugin is built on the sdk only, as a third party's would be"},
		{"httpapi", nil, []string{"cmd", "warm", "gateway", "plugins"},
			"the HTTP API is mounted by cmd and takes its backends from a core.BackendSource"},
		{"warm", nil, []string{"cmd", "httpapi", "plugins"},
			"the pool is a backend source, below the server"},
		{"gateway", nil, []string{"cmd", "httpapi", "warm", "plugins"},
			"the gateway is a handler over a core.Loader, mounted by cmd"},
	}
	pkgs := modulePackages(t)
	for _, p := range pkgs {
		for _, r := range rules {
			if !under(p.rel, r.from) || slices.ContainsFunc(r.except, func(e string) bool { return under(p.rel, e) }) {
				continue
			}
			for _, imp := range p.imports {
				rel, ok := strings.CutPrefix(imp, module+"/")
				if !ok {
					continue
				}
				for _, n := range r.not {
					if under(rel, n) {
						t.Errorf("%s imports %s: %s", p.rel, rel, r.why)
					}
				}
			}
		}
	}
}

// TestProtocolTypesStayInSdk: protobuf and gRPC types are the sdk's
// business; the host and everything above see sdk types only.
func TestProtocolTypesStayInSdk(t *testing.T) {
	for _, p := range modulePackages(t) {
		if under(p.rel, "sdk") || under(p.rel, "internal/procbench") || under(p.rel, "examples") || under(p.rel, "core/fleet/etcdfleet") {
			continue // the sdk; the bare go-plugin floor; example plugins in other languages' stead; etcd's client, which speaks gRPC itself (its dial backoff and status codes are etcd's, not the plugin protocol)
		}
		for _, imp := range p.imports {
			if strings.HasPrefix(imp, "google.golang.org/protobuf/") || under(imp, "google.golang.org/grpc") {
				t.Errorf("%s imports %s: protocol types stay inside sdk", p.rel, imp)
			}
		}
	}
}

// parseFiles parses p's non-test files; positions name them by their
// path in the module.
func parseFiles(t *testing.T, fset *token.FileSet, p pkg) []*ast.File {
	t.Helper()
	var files []*ast.File
	for _, name := range p.files {
		src, err := os.ReadFile(filepath.Join(p.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, filepath.Join(filepath.FromSlash(p.rel), name), src, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// importName is the name file f uses for import path, or "".
func importName(f *ast.File, path string) string {
	for _, s := range f.Imports {
		if v, _ := strconv.Unquote(s.Path.Value); v == path {
			if s.Name != nil {
				return s.Name.Name
			}
			return filepath.Base(path)
		}
	}
	return ""
}

// TestCoreNeverPrintsOrExits: core returns errors and values; printing,
// logging to the process's streams and exiting are cmd's.
func TestCoreNeverPrintsOrExits(t *testing.T) {
	banned := map[string][]string{
		"fmt": {"Print", "Printf", "Println"},
		"log": {"Print", "Printf", "Println", "Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln"},
		"os":  {"Exit", "Stdout", "Stderr"},
	}
	fset := token.NewFileSet()
	for _, p := range modulePackages(t) {
		if !under(p.rel, "core") {
			continue
		}
		for _, f := range parseFiles(t, fset, p) {
			names := map[string]string{} // local name -> import path
			for path := range banned {
				if n := importName(f, path); n != "" {
					names[n] = path
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				id, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				if path, ok := names[id.Name]; ok && slices.Contains(banned[path], sel.Sel.Name) {
					t.Errorf("%s: %s.%s: core never prints or exits", fset.Position(sel.Pos()), path, sel.Sel.Name)
				}
				return true
			})
		}
	}
}

// registryKeys returns the key constants of core/registry (the constants
// named key...), by value.
func registryKeys(t *testing.T, fset *token.FileSet, reg pkg) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for _, f := range parseFiles(t, fset, reg) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, "key") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						keys[v] = n.Name
					}
				}
			}
		}
	}
	return keys
}

// TestRegistryOwnsItsKeys: outside core/registry no package of core
// spells a registry key; it reads and writes through the registry's typed
// accessors and edits, so that a new field touches one package.
func TestRegistryOwnsItsKeys(t *testing.T) {
	fset := token.NewFileSet()
	pkgs := modulePackages(t)
	i := slices.IndexFunc(pkgs, func(p pkg) bool { return p.rel == "core/registry" })
	if i < 0 {
		t.Fatal("no core/registry package")
	}
	keys := registryKeys(t, fset, pkgs[i])
	if len(keys) < 20 {
		t.Fatalf("found %d registry key constants, want the field table's", len(keys))
	}
	// Words that are also keys but are not used as keys there.
	allowed := map[string]map[string]string{
		"core/artifact": {
			"download_files": "the contract's name of a file rule (Result.Selection)",
			"download_path":  "names the field a bad path came from, in an error",
		},
	}
	for _, p := range pkgs {
		if !under(p.rel, "core") || under(p.rel, "core/registry") {
			continue
		}
		for _, f := range parseFiles(t, fset, p) {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Field:
					return false // struct tags name JSON output, not registry keys
				case *ast.BasicLit:
					if n.Kind != token.STRING {
						return true
					}
					if v, _ := strconv.Unquote(n.Value); keys[v] != "" && allowed[p.rel][v] == "" {
						t.Errorf("%s: %s spells the registry key %s; use core/registry's accessors and edits", fset.Position(n.Pos()), n.Value, keys[v])
					}
				}
				return true
			})
		}
	}
}

// TestEtcdStaysInEtcdfleet: etcd is the fleet's one distributed
// implementation, behind the core/fleet seam: only etcdfleet (and the
// test cluster, fleettest) import it, so without --fleet no etcd code is
// reached from anywhere else.
func TestEtcdStaysInEtcdfleet(t *testing.T) {
	for _, p := range modulePackages(t) {
		if under(p.rel, "core/fleet/etcdfleet") || under(p.rel, "core/fleet/fleettest") {
			continue
		}
		for _, imp := range p.imports {
			if strings.HasPrefix(imp, "go.etcd.io/") {
				t.Errorf("%s imports %s: etcd stays inside core/fleet/etcdfleet", p.rel, imp)
			}
		}
	}
}

// TestCLIWithoutEtcd: the imageworks-loader binary (the default build of
// cmd/imageworks-loader) links no etcd code: its package initialisation
// cost every command a few milliseconds. imageworks-loader-fleet, the
// same package built with the "fleet" tag, has it.
func TestCLIWithoutEtcd(t *testing.T) {
	deps := func(tags ...string) string {
		args := append([]string{"list", "-deps"}, tags...)
		out, err := exec.Command("go", append(args, module+"/cmd/imageworks-loader")...).Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		return string(out)
	}
	if d := deps(); strings.Contains(d, "go.etcd.io/") {
		t.Error("cmd/imageworks-loader's default build depends on etcd; the fleet's client belongs behind the \"fleet\" build tag")
	}
	if d := deps("-tags", "fleet"); !strings.Contains(d, module+"/core/fleet/etcdfleet") {
		t.Error("cmd/imageworks-loader built with -tags fleet lacks core/fleet/etcdfleet")
	}
}
