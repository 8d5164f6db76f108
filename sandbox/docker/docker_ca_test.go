package docker

import (
	"archive/tar"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coachcli/coach/sandbox"

	"github.com/coachcli/coach/sandbox/workspace"

	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTLSFailure(t *testing.T) {
	cases := []struct{ name, out, want string }{
		{"npm", "npm error code SELF_SIGNED_CERT_IN_CHAIN\nnpm error errno SELF_SIGNED_CERT_IN_CHAIN", "SELF_SIGNED_CERT_IN_CHAIN"},
		{"pip", "Could not fetch URL https://pypi.org/simple/flask/: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain (_ssl.c:992)", "CERTIFICATE_VERIFY_FAILED"},
		{"go", `go: example.com/x@v1.0.0: Get "https://proxy.golang.org/...": tls: failed to verify certificate: x509: certificate signed by unknown authority`, "x509: certificate"},
		{"curl", "curl: (60) SSL certificate problem: self-signed certificate in certificate chain", "self-signed certificate"},
		{"compile error", "main.go:6:2: undefined: undefinedThing", ""},
		{"x509 import", `main.go:4:2: "crypto/x509" imported and not used`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, sandbox.TLSFailure(tc.out))
		})
	}
}

func TestWithContextFile(t *testing.T) {
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	for name, body := range map[string]string{"Dockerfile": "FROM scratch\n", CAContextFile: "the learner's own"} {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}))
		_, err := tw.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())

	out, err := withContextFile(in.Bytes(), CAContextFile, []byte("PEM"))
	require.NoError(t, err)
	got := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(out))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		got[h.Name] = string(b)
	}
	assert.Equal(t, map[string]string{"Dockerfile": "FROM scratch\n", CAContextFile: "PEM"}, got)
}

// selfSignedCA writes a self-signed certificate for localhost and its key
// into dir: the CA of a TLS-intercepting proxy, as far as a build can tell.
func selfSignedCA(t *testing.T, dir string) (certFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "coach test proxy CA"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile = filepath.Join(dir, "proxy.crt")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "proxy.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o644))
	return certFile
}

// fetchPy serves HTTPS on the build container's loopback with the test
// CA's certificate and fetches from it, as a package manager fetches
// through an intercepting proxy; it trusts coach-ca.pem when it is there.
const fetchPy = `import os, ssl, threading, http.server, urllib.request
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain("/tmp/b/proxy.crt", "/tmp/b/proxy.key")
srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
ca = "/tmp/b/coach-ca.pem"
cctx = ssl.create_default_context(cafile=ca if os.path.exists(ca) else None)
urllib.request.urlopen("https://localhost:%d/" % srv.server_port, context=cctx, timeout=10)
print("fetched through the proxy")
`

// The documented Dockerfile pattern: the glob COPY works with and without
// coach-ca.pem in the context.
const caDockerfile = "FROM python:3.13-slim-bookworm\nCOPY fetch.py proxy.crt proxy.key coach-ca.pe[m] /tmp/b/\nRUN python3 /tmp/b/fetch.py\nCMD [\"python3\", \"-m\", \"http.server\"]\n"

func TestDockerfileBuildTrustsCA(t *testing.T) {
	cases := []struct {
		name   string
		withCA bool
	}{
		{"without sandbox.ca_file the TLS failure is the network's (exit 4) with advice", false},
		{"with sandbox.ca_file the build finds coach-ca.pem", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ca := selfSignedCA(t, dir)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "fetch.py"), []byte(fetchPy), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("# "+dir+"\n"+caDockerfile), 0o644))
			d, cli := newTestDocker(t, func(o *Options) {
				o.CAFile = ""
				if tc.withCA {
					o.CAFile = ca
				}
			})
			ws, err := workspace.Detect(dir)
			require.NoError(t, err)
			tag, err := d.buildWorkspace(t.Context(), sandbox.Spec{Workspace: ws, BuildTimeout: 5 * time.Minute}, testWriter{t})
			if tc.withCA {
				require.NoError(t, err)
				_, err = cli.ImageRemove(t.Context(), tag, client.ImageRemoveOptions{Force: true})
				require.NoError(t, err)
				return
			}
			var eng *sandbox.EngineError
			require.ErrorAs(t, err, &eng, "got %v", err)
			t.Log(eng.Error())
			assert.Regexp(t, `could not verify a TLS certificate \((?i:certificate_verify_failed|SSLError|self-signed certificate)\)`, eng.Error())
			assert.Contains(t, eng.Error(), "this is the network, not your code")
			assert.Contains(t, eng.Advice, "Set sandbox.ca_file")
			assert.Contains(t, eng.Advice, "NODE_EXTRA_CA_CERTS=$PWD/coach-ca.pem")
			assert.Contains(t, eng.Advice, "pip install --cert coach-ca.pem")
		})
	}
}
