package requirements

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Index is what the module declares, found by parsing its Go files (nested modules such as
// interop/golibs included): enough to check that a reference names something real and to
// link it to its file.
type Index struct {
	Root string
	// Decls maps "dir.Name", "dir.Type.Method" and "dir.Type.Field" to the file (relative
	// to Root) that declares it; dir is the package directory relative to Root ("conn",
	// "cmd/echo"). Only non-test files.
	Decls map[string]string
	// Tests maps "dir.TestName" (and Fuzz, Example functions) to the _test.go file declaring it.
	Tests map[string]string
	// literals holds, per package directory, the string literals of its test files with
	// spaces turned into underscores, as t.Run names its subtests.
	literals map[string][]string
}

// FindRoot returns the directory of the root module's go.mod, searching upwards from dir.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/rfc6455/ws\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("requirements: no go.mod of github.com/rfc6455/ws above " + dir)
		}
		dir = parent
	}
}

// NewIndex parses every Go file under root, skipping testdata, node_modules and hidden
// directories.
func NewIndex(root string) (*Index, error) {
	ix := &Index{Root: root, Decls: map[string]string{}, Tests: map[string]string{}, literals: map[string][]string{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		dir := filepath.ToSlash(filepath.Dir(rel))
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if strings.HasSuffix(name, "_test.go") {
			ix.addTestFile(dir, rel, f)
		} else {
			ix.addFile(dir, rel, f)
		}
		return nil
	})
	return ix, err
}

func (ix *Index) addFile(dir, rel string, f *ast.File) {
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil && len(d.Recv.List) == 1 {
				name = receiverName(d.Recv.List[0].Type) + "." + name
			}
			ix.Decls[dir+"."+name] = rel
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					ix.Decls[dir+"."+s.Name.Name] = rel
					if st, ok := s.Type.(*ast.StructType); ok {
						for _, field := range st.Fields.List {
							for _, n := range field.Names {
								ix.Decls[dir+"."+s.Name.Name+"."+n.Name] = rel
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						ix.Decls[dir+"."+n.Name] = rel
					}
				}
			}
		}
	}
}

func receiverName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiverName(t.X)
	case *ast.IndexExpr:
		return receiverName(t.X)
	case *ast.IndexListExpr:
		return receiverName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

func (ix *Index) addTestFile(dir, rel string, f *ast.File) {
	for _, decl := range f.Decls {
		if d, ok := decl.(*ast.FuncDecl); ok && d.Recv == nil {
			n := d.Name.Name
			if strings.HasPrefix(n, "Test") || strings.HasPrefix(n, "Fuzz") || strings.HasPrefix(n, "Example") {
				ix.Tests[dir+"."+n] = rel
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && s != "" {
				ix.literals[dir] = append(ix.literals[dir], strings.ReplaceAll(s, " ", "_"))
			}
		}
		return true
	})
}

// splitRef splits "cmd/echo.Server.Run" into its directory "cmd/echo" and name "Server.Run"
// at the first dot (no directory of this module has a dot in its name).
func splitRef(ref string) (dir, name string, ok bool) {
	dir, name, ok = strings.Cut(ref, ".")
	return dir, name, ok && dir != "" && name != ""
}

// DeclFile returns the file declaring an implementation reference ("conn.Conn.ReadMessage").
func (ix *Index) DeclFile(ref string) (string, error) {
	if file, ok := ix.Decls[ref]; ok {
		return file, nil
	}
	return "", fmt.Errorf("implementation %q: no such declaration (want dir.Func, dir.Type.Method or dir.Type.Field)", ref)
}

// TestFile returns the file declaring a test reference ("conn.TestX" or "conn.TestX/sub/case").
// A subtest is checked as far as the source allows: each element of its name must occur in
// a string literal of the package's test files, as t.Run("name", ...) or a table's name field
// puts it there.
func (ix *Index) TestFile(ref string) (string, error) {
	dir, rest, ok := splitRef(ref)
	name, sub, _ := strings.Cut(rest, "/")
	if !ok || !(strings.HasPrefix(name, "Test") || strings.HasPrefix(name, "Fuzz") || strings.HasPrefix(name, "Example")) {
		return "", fmt.Errorf("test %q: want dir.TestName[/subtest]", ref)
	}
	file, ok := ix.Tests[dir+"."+name]
	if !ok {
		return "", fmt.Errorf("test %q: no such test function", ref)
	}
	if sub != "" {
		for _, elem := range strings.Split(sub, "/") {
			found := false
			for _, lit := range ix.literals[dir] {
				if strings.Contains(lit, elem) {
					found = true
					break
				}
			}
			if !found {
				return "", fmt.Errorf("test %q: no string literal in %s's tests names the subtest %q", ref, dir, elem)
			}
		}
	}
	return file, nil
}
