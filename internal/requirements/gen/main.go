// Command gen writes docs/requirements.md from testdata/requirements/*.tsv. Run it with
// go generate ./internal/requirements.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/rfc6455/ws/internal/requirements"
)

func main() {
	log.SetFlags(0)
	root, err := requirements.FindRoot(".")
	if err != nil {
		log.Fatal(err)
	}
	view, rs, err := requirements.Generate(root)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, requirements.ViewPath), []byte(view), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d requirements, %d MUST/MUST NOT untested\n", requirements.ViewPath, len(rs), len(requirements.Untested(rs)))
}
