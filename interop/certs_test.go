//go:build unix

package interop

import (
	"crypto/x509"
	"testing"

	"github.com/rfc6455/ws/internal/testcert"
)

// testCert is a self-signed certificate for 127.0.0.1 and localhost, made by the test, as PEM
// files in a temporary directory.
type testCert struct {
	certFile, keyFile string
	pool              *x509.CertPool // trusts exactly this certificate
}

// newTestCert makes a fresh self-signed certificate (see internal/testcert) and writes it as PEM
// files, for the peers that load files (nginx, Python's cafile, Go's SSL_CERT_FILE).
func newTestCert(t *testing.T) testCert {
	t.Helper()
	c := testcert.New(t)
	certFile, keyFile := c.WriteFiles(t)
	return testCert{certFile: certFile, keyFile: keyFile, pool: c.Pool}
}
