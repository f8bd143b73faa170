//go:build unix

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Behind a TLS-terminating proxy, as the seed's load balancer puts the server: Debian's nginx
// on 127.0.0.1 terminates TLS with a certificate the test makes, and passes the Upgrade and
// Connection headers on to the cmd/echo binary over plain HTTP/1.1. Hop-by-hop headers are
// not forwarded by a proxy unless it is told to (RFC 9110 §7.6.1), which is why the
// configuration names them; without them the upgrade fails with 400 or 426.

// nginxConfig is the whole configuration: everything nginx writes goes to the test's
// directory, so it runs as any user, in the foreground, beside a system nginx if there is one.
const nginxConfig = `# nginx for the ws interop tests
worker_processes 1;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log info;

events {
    worker_connections 64;
}

http {
    access_log {{dir}}/access.log;
    client_body_temp_path {{dir}}/client_body;
    proxy_temp_path {{dir}}/proxy;
    fastcgi_temp_path {{dir}}/fastcgi;
    uwsgi_temp_path {{dir}}/uwsgi;
    scgi_temp_path {{dir}}/scgi;

    # Connection: upgrade when the client asks for an upgrade, close otherwise.
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }

    server {
        listen 127.0.0.1:{{port}} ssl;
        ssl_certificate {{cert}};
        ssl_certificate_key {{key}};

        location / {
            proxy_pass http://{{upstream}};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 60s;
        }
    }
}
`

// startNginx runs nginx in the foreground, terminating TLS on a free port of 127.0.0.1 with
// cert and proxying to upstream (host:port). It returns the port.
func startNginx(t *testing.T, nginx string, cert testCert, upstream string) int {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	config := strings.NewReplacer(
		"{{dir}}", dir,
		"{{port}}", fmt.Sprint(port),
		"{{cert}}", cert.certFile,
		"{{key}}", cert.keyFile,
		"{{upstream}}", upstream,
	).Replace(nginxConfig)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	// -e: the error log before the configuration is read; nginx's default is a system path.
	cmd := exec.Command(nginx, "-p", dir, "-c", confFile, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	p := startProcess(t, "nginx", cmd)
	t.Cleanup(func() {
		if t.Failed() {
			errorLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", errorLog)
		}
	})
	waitListening(t, p, port, 15*time.Second)
	return port
}

func TestNginx(t *testing.T) {
	t.Parallel()
	nginx := requireNginx(t)
	cert := newTestCert(t)
	echo := startEcho(t, "-subprotocols", "wamp,soap")
	port := startNginx(t, nginx, cert, echo.addr)
	url := fmt.Sprintf("wss://127.0.0.1:%d/ws", port)
	// cmd/wscat verifies the proxy's certificate against the test's, through Go's
	// SSL_CERT_FILE, rather than with -insecure.
	trustCert := []string{"SSL_CERT_FILE=" + cert.certFile}

	t.Run("wscat", func(t *testing.T) {
		out, status := runWscat(t, "hello through nginx\nhéllo wörld ✓ 🌍\n", trustCert,
			"-trace", "-subprotocols", "soap,wamp", url)
		if status != 0 {
			t.Errorf("wscat exited with status %d, want 0", status)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^<- HTTP/1\.1 101 Switching Protocols$`),
			regexp.MustCompile(`(?mi)^<- Sec-WebSocket-Protocol: wamp$`),
			regexp.MustCompile(`(?m)^< hello through nginx$`),
			regexp.MustCompile(`(?m)^< héllo wörld ✓ 🌍$`),
			// Frames that came back through nginx are unmasked (§5.1), ours are masked.
			regexp.MustCompile(`(?m)^<- FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=0x1\(text\) MASK=0 length=19$`),
			regexp.MustCompile(`(?m)^-> FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=0x1\(text\) MASK=1 length=19 key=[0-9a-f]{8}$`),
			regexp.MustCompile(`(?m)^closed: 1000$`),
		} {
			if !want.MatchString(out) {
				t.Errorf("wscat's output lacks %q:\n%s", want, out)
			}
		}
		echo.waitLog(t, `subprotocol="wamp" close=1000 reason="" messages=2`)
	})

	t.Run("wscat close code", func(t *testing.T) {
		out, status := runWscat(t, "bye\n", trustCert, "-close-code", "4000", url)
		// Exit status 1: the connection closed with a code other than 1000, 1001 or 1005.
		if status != 1 || !strings.Contains(out, "closed: 4000\n") {
			t.Errorf("wscat -close-code 4000: status %d, output:\n%s\nwant status 1 and \"closed: 4000\" (the server's echo, §5.5.1)", status, out)
		}
		echo.waitLog(t, `subprotocol="" close=4000 reason="" messages=1`)
	})

	t.Run("python", func(t *testing.T) {
		requirePython(t)
		cfg := clientConfig{
			URL: url, Protocols: []string{"soap", "wamp"}, CAFile: cert.certFile,
			Sizes: upTo1MiB, Fragments: 3, Ping: "ping through nginx",
			CloseCode: 4004, CloseReason: "python via nginx",
		}
		p := startPython(t, "client.py", cfg.arg())
		checkClientReport(t, p, cfg, "wamp")
		echo.waitLog(t, fmt.Sprintf(`subprotocol="wamp" close=4004 reason="python via nginx" messages=%d`, 2*len(cfg.Sizes)+2))
	})
}
