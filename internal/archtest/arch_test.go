// Package archtest holds the test that keeps the hexagonal import rules:
// domain imports nothing of the project, ports only domain, services only
// domain and ports, adapters and workflows never each other, only cmd
// wires adapters together, and the SQL store's engines share only its
// core, never each other's code.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/stocking-kr/stocking"

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// layer names the part of the project a package belongs to: "domain",
// "ports", "service", "workflows", "adapters/<name>", "cmd", "sql", ...
func layer(path string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	parts := strings.Split(rel, "/")
	if parts[0] == "adapters" && len(parts) > 1 {
		return "adapters/" + parts[1]
	}
	if parts[0] == "ports" && len(parts) > 1 && parts[1] == "storetest" {
		return "ports/storetest"
	}
	return parts[0]
}

// allowed lists, per layer, the layers its production code may import.
// A layer may always import itself.
func allowed(from, to string) bool {
	if from == to {
		return true
	}
	switch from {
	case "domain", "sql":
		return false
	case "ports":
		return to == "domain"
	case "service":
		return to == "domain" || to == "ports"
	case "ports/storetest":
		return to == "domain" || to == "ports"
	case "workflows":
		return to == "domain" || to == "ports" || to == "service"
	case "cmd", "internal":
		return true
	}
	if strings.HasPrefix(from, "adapters/") {
		if strings.HasPrefix(to, "adapters/") {
			return false
		}
		return to == "domain" || to == "ports" || to == "service" || to == "workflows" || to == "sql"
	}
	return false
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestImportDirection(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 5 {
		t.Fatalf("found only %d packages; is the module path right?", len(pkgs))
	}
	for _, p := range pkgs {
		from := layer(p.ImportPath)
		if from == "internal" {
			continue
		}
		imports := p.Imports
		// The core's own tests must stay as pure as the core, except the
		// service's external tests (package service_test), which run the
		// use cases against a real store.
		switch from {
		case "domain", "ports":
			imports = append(append(append([]string{}, imports...), p.TestImports...), p.XTestImports...)
		case "service":
			imports = append(append([]string{}, imports...), p.TestImports...)
		}
		for _, imp := range imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if to := layer(imp); !allowed(from, to) {
				t.Errorf("%s (%s) imports %s (%s): not allowed", p.ImportPath, from, imp, to)
			}
		}
	}
}

// sqlEngine names the database engine adapter a package belongs to
// (sqlite, postgres, mysql, ...), or "" for the store core, its shared
// internal packages and everything outside the SQL store.
func sqlEngine(path string) string {
	rest, ok := strings.CutPrefix(path, module+"/adapters/sqlstore/")
	if !ok {
		return ""
	}
	engine, _, _ := strings.Cut(rest, "/")
	if engine == "internal" {
		return ""
	}
	return engine
}

// TestSQLEnginesAreIndependent keeps each engine adapter to the shared
// core: code that two engines need belongs there, not in one engine that
// the other imports. Tests count too.
func TestSQLEnginesAreIndependent(t *testing.T) {
	for _, p := range listPackages(t) {
		from := sqlEngine(p.ImportPath)
		if from == "" {
			continue
		}
		for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
			if to := sqlEngine(imp); to != "" && to != from {
				t.Errorf("%s (engine %s) imports %s (engine %s): engines share only the core", p.ImportPath, from, imp, to)
			}
		}
	}
}

func TestDomainUsesOnlyStdlibAndDecimal(t *testing.T) {
	for _, p := range listPackages(t) {
		if layer(p.ImportPath) != "domain" {
			continue
		}
		for _, imp := range append(p.Imports, p.TestImports...) {
			first := strings.Split(imp, "/")[0]
			if strings.Contains(first, ".") && imp != "github.com/shopspring/decimal" {
				t.Errorf("%s imports %s; domain may use only the standard library and decimal", p.ImportPath, imp)
			}
		}
	}
}

// TestRulesCatchViolations keeps the rule table honest: it must reject the
// imports the architecture forbids.
func TestRulesCatchViolations(t *testing.T) {
	for _, c := range [][2]string{
		{"domain", "ports"}, {"ports", "service"}, {"service", "adapters/http"},
		{"adapters/http", "adapters/sqlstore"}, {"workflows", "adapters/temporal"}, {"service", "workflows"},
	} {
		if allowed(c[0], c[1]) {
			t.Errorf("%s → %s should be forbidden", c[0], c[1])
		}
	}
	if layer(module+"/adapters/sqlstore/sqlite") != layer(module+"/adapters/sqlstore") {
		t.Error("an adapter's subpackages belong to it")
	}
	for path, want := range map[string]string{
		"adapters/sqlstore":                        "",
		"adapters/sqlstore/internal/sqldb":         "",
		"adapters/sqlstore/mysql":                  "mysql",
		"adapters/sqlstore/postgres/internal/pgdb": "postgres",
		"adapters/http":                            "",
	} {
		if got := sqlEngine(module + "/" + path); got != want {
			t.Errorf("sqlEngine(%s) = %q, want %q", path, got, want)
		}
	}
}
