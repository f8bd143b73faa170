//go:build unix

package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requirePeersEnv names the environment variable that turns a missing peer from a skip into a
// failure. CI sets it after installing every peer: there, a skipped peer test would be a peer
// test that silently stopped running.
const requirePeersEnv = "WS_REQUIRE_PEERS"

// requirePeer skips the test, or fails it when WS_REQUIRE_PEERS=1, if check reports that the
// peer name is missing. install says how to get it. It returns what check found (a version),
// which goes into the test log so that a run records what it tested against.
func requirePeer(t *testing.T, name, install string, check func() (string, error)) string {
	t.Helper()
	version, err := check()
	if err == nil {
		t.Logf("peer %s: %s", name, version)
		return version
	}
	msg := fmt.Sprintf("peer %s is not available (%v): install it with %s, or run interop/setup.sh", name, err, install)
	if os.Getenv(requirePeersEnv) == "1" {
		t.Fatalf("%s [%s=1: a missing peer is a failure]", msg, requirePeersEnv)
	}
	t.Skip(msg)
	return ""
}

// findProgram looks name up in PATH and then in the system directories that a non-root PATH
// may lack (nginx and mosquitto live in /usr/sbin).
func findProgram(name string) (string, error) {
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/sbin"} {
		path := filepath.Join(dir, name)
		if info, err := os.Stat(path); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return path, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH, /usr/sbin or /usr/bin", name)
}

// programVersion runs a program with args, bounded in time, and returns the last line it
// prints (on stdout or stderr: nginx -v writes to stderr; Debian's chromium wrapper script may
// print a complaint of its own before the version).
func programVersion(path string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", path, strings.Join(args, " "), err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// pythonPath is the interpreter that sees Debian's python3-websockets. A python3 earlier in
// PATH (pyenv, a virtualenv) may not, so the tests never look it up.
const pythonPath = "/usr/bin/python3"

// requirePython returns the path of the Python interpreter that has websockets installed.
func requirePython(t *testing.T) string {
	t.Helper()
	requirePeer(t, "python3-websockets", "apt-get install python3-websockets", func() (string, error) {
		return programVersion(pythonPath, "-c", "import sys, websockets; print('websockets', websockets.__version__, 'on Python', sys.version.split()[0])")
	})
	return pythonPath
}

// requirePythonH2 checks that Debian's interpreter has h2 and wsproto, the RFC 8441 peers.
func requirePythonH2(t *testing.T) {
	t.Helper()
	requirePeer(t, "python3-h2 and python3-wsproto", "apt-get install python3-h2 python3-wsproto", func() (string, error) {
		return programVersion(pythonPath, "-c", "import h2, wsproto; print('h2', h2.__version__, 'wsproto', wsproto.__version__)")
	})
}

// nodeModules is where npm ci --prefix interop/node installs ws and mqtt; the tests run from
// the package directory, interop.
const nodeModules = "node/node_modules"

// requireNode returns the path of node, after checking that npm has installed the packages the
// scripts import.
func requireNode(t *testing.T, packages ...string) string {
	t.Helper()
	var node string
	requirePeer(t, "node with npm packages "+strings.Join(packages, ", "),
		"apt-get install nodejs npm, then npm ci --prefix interop/node", func() (string, error) {
			var err error
			if node, err = findProgram("node"); err != nil {
				return "", err
			}
			version, err := programVersion(node, "--version")
			if err != nil {
				return "", err
			}
			version = "node " + version
			for _, pkg := range packages {
				v, err := npmPackageVersion(pkg)
				if err != nil {
					return "", err
				}
				version += ", " + pkg + " " + v
			}
			return version, nil
		})
	return node
}

// npmPackageVersion reads the version of an installed npm package from its package.json.
func npmPackageVersion(pkg string) (string, error) {
	b, err := os.ReadFile(filepath.Join(nodeModules, pkg, "package.json"))
	if err != nil {
		return "", fmt.Errorf("npm package %s is not installed in interop/%s: %w", pkg, nodeModules, err)
	}
	const key = `"version": "`
	_, rest, ok := strings.Cut(string(b), key)
	if !ok {
		return "", errors.New("no version in " + pkg + "/package.json")
	}
	version, _, _ := strings.Cut(rest, `"`)
	return version, nil
}

// requireChromium returns the path of Debian's chromium.
func requireChromium(t *testing.T) string {
	t.Helper()
	var path string
	requirePeer(t, "chromium", "apt-get install chromium", func() (string, error) {
		var err error
		if path, err = findProgram("chromium"); err != nil {
			return "", err
		}
		return programVersion(path, "--version")
	})
	return path
}

// requireMosquitto returns the path of the mosquitto broker.
func requireMosquitto(t *testing.T) string {
	t.Helper()
	var path string
	requirePeer(t, "mosquitto", "apt-get install mosquitto", func() (string, error) {
		var err error
		if path, err = findProgram("mosquitto"); err != nil {
			return "", err
		}
		// mosquitto -h prints its version first and exits with status 3.
		out, _ := exec.Command(path, "-h").CombinedOutput()
		line, _, _ := strings.Cut(string(out), "\n")
		if !strings.Contains(line, "mosquitto version") {
			return "", fmt.Errorf("%s -h printed %q", path, line)
		}
		return strings.TrimSpace(line), nil
	})
	return path
}

// requireNginx returns the path of nginx.
func requireNginx(t *testing.T) string {
	t.Helper()
	var path string
	requirePeer(t, "nginx", "apt-get install nginx", func() (string, error) {
		var err error
		if path, err = findProgram("nginx"); err != nil {
			return "", err
		}
		return programVersion(path, "-v")
	})
	return path
}
