package controlplane

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// identity is one client of the API server, authenticated by a static bearer token.
type identity struct {
	name   string // kubeconfig file stem
	user   string
	groups []string
	token  string
}

// pki holds the per-run secrets: nothing is reused between runs, so a leaked temporary
// directory gives access to nothing that still runs.
type pki struct {
	dir        string
	caCert     string // PEM, also the controller manager's --root-ca-file
	caData     []byte
	serverCert string
	serverKey  string
	saKey      string // service-account signing key (private)
	saPub      string
	tokenFile  string
	identities map[string]identity
}

func newPKI(dir string, serviceIP net.IP) (*pki, error) {
	p := &pki{dir: dir, identities: map[string]identity{}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}

	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "eksbalance-controlplane-ca"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	p.caData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	p.caCert = filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(p.caCert, p.caData, 0o600); err != nil {
		return nil, err
	}

	// The serving certificate names every address a client may use for the API server:
	// loopback for the tests, plus the in-cluster names and the kubernetes Service's IP
	// so that it is also valid for anything that follows the in-cluster conventions.
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), serviceIP},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	p.serverCert = filepath.Join(dir, "apiserver.crt")
	if err := os.WriteFile(p.serverCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}), 0o600); err != nil {
		return nil, err
	}
	p.serverKey = filepath.Join(dir, "apiserver.key")
	if err := writeECKey(p.serverKey, srvKey); err != nil {
		return nil, err
	}

	// RSA because both the token issuer and the legacy token controller accept it
	// everywhere; 2048 bits keeps generation well under a second.
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	p.saKey = filepath.Join(dir, "sa.key")
	if err := os.WriteFile(p.saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}), 0o600); err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	p.saPub = filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(p.saPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o600); err != nil {
		return nil, err
	}

	// The controller manager and scheduler get the identities the bootstrap RBAC policy
	// binds their roles to, so RBAC is exercised as in a real cluster. The test client
	// and kwok (which plays the kubelet of every fake node, beyond what the Node
	// authorizer allows one kubelet) are cluster admins.
	ids := []identity{
		{name: "admin", user: "eksbalance-test", groups: []string{"system:masters"}},
		{name: "kube-controller-manager", user: "system:kube-controller-manager"},
		{name: "kube-scheduler", user: "system:kube-scheduler"},
		{name: "kwok", user: "kwok", groups: []string{"system:masters"}},
	}
	var csv strings.Builder
	for _, id := range ids {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		id.token = hex.EncodeToString(raw)
		p.identities[id.name] = id
		fmt.Fprintf(&csv, "%s,%s,%s", id.token, id.user, id.user)
		if len(id.groups) > 0 {
			fmt.Fprintf(&csv, ",\"%s\"", strings.Join(id.groups, ","))
		}
		csv.WriteString("\n")
	}
	p.tokenFile = filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(p.tokenFile, []byte(csv.String()), 0o600); err != nil {
		return nil, err
	}
	return p, nil
}

func writeECKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

// writeKubeconfig writes a kubeconfig for the named identity and returns its path.
func (p *pki) writeKubeconfig(name, server string) (string, error) {
	id, ok := p.identities[name]
	if !ok {
		return "", fmt.Errorf("no identity %q", name)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["controlplane"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: p.caData}
	cfg.AuthInfos[id.user] = &clientcmdapi.AuthInfo{Token: id.token}
	cfg.Contexts["controlplane"] = &clientcmdapi.Context{Cluster: "controlplane", AuthInfo: id.user, Namespace: "default"}
	cfg.CurrentContext = "controlplane"
	path := filepath.Join(p.dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", err
	}
	return path, nil
}
