package sip

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushpay/hushpay/internal/config"
	"github.com/hushpay/hushpay/internal/media"
)

// writeCert writes a self-signed certificate and key for 127.0.0.1.
func writeCert(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hushpay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, keyPath
}

// TestListenersOptions: the server answers OPTIONS over UDP, TCP and TLS.
func TestListenersOptions(t *testing.T) {
	cfg := config.Default().SIP
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", freePort())
	cfg.TLSListen = fmt.Sprintf("127.0.0.1:%d", freePort())
	cfg.Host = "127.0.0.1"
	cfg.TLSCert, cfg.TLSKey = writeCert(t, t.TempDir())
	pool, err := media.NewPortPool(netip.MustParseAddr("127.0.0.1"), 43200, 43300)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, Media: media.OptionsFromConfig(config.Default().Media, pool),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()

	options := func(proto, local, target string) string {
		return "OPTIONS sip:hushpay@" + target + " SIP/2.0\r\nVia: SIP/2.0/" + proto + " " + local +
			";branch=z9hG4bK-" + strings.ToLower(proto) + "\r\nFrom: <sip:t@" + local + ">;tag=1\r\nTo: <sip:h@" + target +
			">\r\nCall-ID: opt-" + proto + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	}
	check := func(name string, c net.Conn, proto, target string) {
		t.Helper()
		defer c.Close()
		if _, err := c.Write([]byte(options(proto, c.LocalAddr().String(), target))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
			t.Fatalf("%s: answer %q %v", name, line, err)
		}
	}
	u, err := net.Dial("udp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	check("udp", u, "UDP", cfg.Listen)
	tc, err := net.Dial("tcp", cfg.Listen)
	if err != nil {
		t.Fatal(err)
	}
	check("tcp", tc, "TCP", cfg.Listen)
	tl, err := tls.Dial("tcp", cfg.TLSListen, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // self-signed test certificate
	if err != nil {
		t.Fatal(err)
	}
	check("tls", tl, "TLS", cfg.TLSListen)
}
