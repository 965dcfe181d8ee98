package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options configures a cluster. The zero value is valid: binaries from FindBinariesE,
// no nodes.
type Options struct {
	// BinDir holds the programs in Binaries. Default: FindBinariesE (EKSBALANCE_CONTROLPLANE_BIN,
	// else the build cache), because that is where build.sh puts them.
	BinDir string
	// NodeGroups are created as kwok-managed Nodes once the control plane is up.
	// Default: none, so a test that only needs the API can skip the node wait.
	NodeGroups []NodeGroup
	// ServiceCIDR is the service-cluster-ip-range. Default 10.96.0.0/16, as kubeadm and
	// kind use. ClusterIPs are only allocated, never routed: there is no kube-proxy.
	ServiceCIDR string
	// ReadyTimeout bounds each wait for a component to become ready. Default 2 min:
	// the API server's post-start hooks take ~10 s on an idle 2-core machine and several
	// times that when other builds share the cores.
	ReadyTimeout time.Duration
	// StopGrace is how long a component may take to exit after SIGTERM before it is
	// killed. Default 5 s: nothing here holds state worth a longer wait.
	StopGrace time.Duration
	// KwokConfig is extra kwok configuration (YAML documents, typically Stage objects),
	// passed with --config. Default empty: kwok's built-in stages, which make every pod
	// Running and Ready at once (readiness gates included) and delete it at once when it
	// is deleted. Stages given for a resource kind replace all built-in ones of that kind.
	KwokConfig string
}

func (o *Options) setDefaults() {
	if o.ServiceCIDR == "" {
		o.ServiceCIDR = "10.96.0.0/16"
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 2 * time.Minute
	}
	if o.StopGrace == 0 {
		o.StopGrace = 5 * time.Second
	}
}

// Cluster is a running control plane. Everything it started stops when the test that
// started it ends.
type Cluster struct {
	// KubeconfigPath is an admin kubeconfig (system:masters) for the test's own clients,
	// kubectl and Terratest's k8s module.
	KubeconfigPath string
	// RESTConfig and Clientset talk to the API server as that admin.
	RESTConfig *rest.Config
	Clientset  *kubernetes.Clientset
	Dynamic    *dynamic.DynamicClient
	// Nodes are the Node objects created from Options.NodeGroups.
	Nodes []corev1.Node
	// NodeGroups are the groups the nodes came from.
	NodeGroups []NodeGroup
	// Dir holds certificates, kubeconfigs, etcd data and logs; it is removed at the end.
	Dir string

	processes []*Process
}

// KubectlOptions returns Terratest options for the admin kubeconfig in a namespace.
func (c *Cluster) KubectlOptions(namespace string) *k8s.KubectlOptions {
	return k8s.NewKubectlOptions("controlplane", c.KubeconfigPath, namespace)
}

// LogPath returns the log file of a component ("etcd", "kube-apiserver", ...).
func (c *Cluster) LogPath(component string) string {
	return filepath.Join(c.Dir, "logs", component+".log")
}

// Start starts a control plane and fails the test if it does not become ready.
func Start(t TestingT, opts Options) *Cluster {
	t.Helper()
	c, err := StartE(t, opts)
	if err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	return c
}

// StartE starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on
// loopback ports, creates the node groups' Nodes and waits until all are ready. Teardown
// is registered with t.Cleanup as each process starts, so it also happens when StartE
// fails half way; on a failed test the tail of every log is printed.
func StartE(t TestingT, opts Options) (*Cluster, error) {
	t.Helper()
	opts.setDefaults()
	nodes, err := NodeObjects(opts.NodeGroups)
	if err != nil {
		return nil, err
	}
	if opts.BinDir == "" {
		if opts.BinDir, err = FindBinariesE(); err != nil {
			return nil, err
		}
	}
	_, serviceNet, err := net.ParseCIDR(opts.ServiceCIDR)
	if err != nil {
		return nil, fmt.Errorf("serviceCIDR: %q is not a CIDR: %w", opts.ServiceCIDR, err)
	}
	serviceIP := make(net.IP, len(serviceNet.IP))
	copy(serviceIP, serviceNet.IP)
	serviceIP[len(serviceIP)-1]++ // the kubernetes Service takes the range's first address

	c := &Cluster{Dir: t.TempDir(), NodeGroups: opts.NodeGroups}
	if err := os.MkdirAll(filepath.Join(c.Dir, "logs"), 0o700); err != nil {
		return nil, err
	}
	// Registered before any process, so it runs after all of them stopped (cleanups run
	// last-in first-out) and the logs are complete.
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.processes {
				t.Logf("---- last lines of %s (%s) ----\n%s", p.name, p.logPath, Tail(p.logPath, 40))
			}
		}
	})

	p, err := newPKI(filepath.Join(c.Dir, "pki"), serviceIP)
	if err != nil {
		return nil, fmt.Errorf("generate certificates and tokens: %w", err)
	}
	ports, err := freePorts(6)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort := ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]
	server := "https://" + hostPort(apiPort)

	start := func(name string, args []string, env ...string) error {
		proc, err := StartProcess(name, filepath.Join(opts.BinDir, name), args, env, c.LogPath(name))
		if err != nil {
			return err
		}
		c.processes = append(c.processes, proc)
		t.Cleanup(func() { proc.Stop(opts.StopGrace) })
		return nil
	}

	etcdURL := "http://" + hostPort(etcdClient)
	peerURL := "http://" + hostPort(etcdPeer)
	if err := start("etcd", []string{
		"--name=default",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + etcdURL,
		"--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		// The data dies with the test; fsync would only slow every write.
		"--unsafe-no-fsync",
		"--log-level=warn",
	}); err != nil {
		return nil, err
	}
	plain := &http.Client{Timeout: 5 * time.Second}
	if err := c.WaitUntilE(t, "etcd /health", opts.ReadyTimeout, func() error {
		return httpOK(plain, etcdURL+"/health", "", `"health":"true"`)
	}); err != nil {
		return nil, err
	}

	if err := start("kube-apiserver", []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--tls-cert-file=" + p.serverCert,
		"--tls-private-key-file=" + p.serverKey,
		"--client-ca-file=" + p.caCert,
		"--token-auth-file=" + p.tokenFile,
		"--authorization-mode=Node,RBAC",
		"--anonymous-auth=false",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPub,
		"--service-account-signing-key-file=" + p.saKey,
		"--service-cluster-ip-range=" + opts.ServiceCIDR,
		"--profiling=false",
		"--cert-dir=" + filepath.Join(c.Dir, "pki", "apiserver"),
		// The reconciler would publish 127.0.0.1 as the kubernetes Service's endpoint,
		// which validation rejects (loopback); nothing in this cluster calls the API
		// server through that Service.
		"--endpoint-reconciler-type=none",
	}); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caData)
	verified := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	admin := p.identities["admin"].token
	if err := c.WaitUntilE(t, "kube-apiserver /readyz", opts.ReadyTimeout, func() error {
		return httpOK(verified, server+"/readyz", admin, "ok")
	}); err != nil {
		return nil, err
	}

	kubeconfigs := map[string]string{}
	for _, name := range []string{"admin", "kube-controller-manager", "kube-scheduler", "kwok"} {
		if kubeconfigs[name], err = p.writeKubeconfig(name, server); err != nil {
			return nil, err
		}
	}
	c.KubeconfigPath = kubeconfigs["admin"]
	if c.RESTConfig, err = clientcmd.BuildConfigFromFlags("", c.KubeconfigPath); err != nil {
		return nil, err
	}
	// The defaults (5 QPS) make waits and applies crawl; this is a private API server.
	c.RESTConfig.QPS, c.RESTConfig.Burst = 50, 100
	if c.Clientset, err = kubernetes.NewForConfig(c.RESTConfig); err != nil {
		return nil, err
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.RESTConfig); err != nil {
		return nil, err
	}

	kcm := kubeconfigs["kube-controller-manager"]
	if err := start("kube-controller-manager", []string{
		"--kubeconfig=" + kcm,
		"--authentication-kubeconfig=" + kcm,
		"--authorization-kubeconfig=" + kcm,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(kcmPort),
		"--leader-elect=false",
		"--service-account-private-key-file=" + p.saKey,
		"--root-ca-file=" + p.caCert,
		// Each controller acts as its own service account, as on kubeadm and EKS, so
		// RBAC denials a real cluster would hit show up here too.
		"--use-service-account-credentials=true",
		"--controllers=*",
		// kwok's node heartbeats come late on a loaded 2-core machine (55 s apart seen);
		// past the 50 s default the node controller marks the nodes NotReady and every
		// pod on them unready, which no kubelet here marks ready again. Tests that take
		// nodes away delete them instead.
		"--node-monitor-grace-period=10m",
		"--cluster-name=eksbalance-controlplane",
		"--profiling=false",
	}); err != nil {
		return nil, err
	}
	sched := kubeconfigs["kube-scheduler"]
	if err := start("kube-scheduler", []string{
		"--kubeconfig=" + sched,
		"--authentication-kubeconfig=" + sched,
		"--authorization-kubeconfig=" + sched,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(schedPort),
		"--leader-elect=false",
		"--profiling=false",
	}); err != nil {
		return nil, err
	}
	kwokHome := filepath.Join(c.Dir, "kwok-home")
	if err := os.MkdirAll(kwokHome, 0o700); err != nil {
		return nil, err
	}
	kwokArgs := []string{
		"--kubeconfig=" + kubeconfigs["kwok"],
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=" + KwokAnnotation + "=" + KwokAnnotationValue,
		"--server-address=" + hostPort(kwokPort),
		// Fallback pod range for a node without a pod CIDR; NodeObjects always sets one.
		"--cidr=100.126.0.0/16",
		"--node-ip=100.127.255.1",
	}
	if opts.KwokConfig != "" {
		path := filepath.Join(kwokHome, "stages.yaml")
		if err := os.WriteFile(path, []byte(opts.KwokConfig), 0o600); err != nil {
			return nil, err
		}
		kwokArgs = append(kwokArgs, "--config="+path)
	}
	// kwok reads ~/.kwok/kwok.yaml when it exists; a private HOME keeps the user's own
	// kwok configuration out of the test.
	if err := start("kwok", kwokArgs, "HOME="+kwokHome); err != nil {
		return nil, err
	}

	// Self-signed serving certificates generated in memory by the components: loopback
	// only, and a health endpoint is all that is read.
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // see above
	if err := c.WaitUntilE(t, "kube-scheduler /readyz", opts.ReadyTimeout, func() error {
		return httpOK(insecure, "https://"+hostPort(schedPort)+"/readyz", "", "ok")
	}); err != nil {
		return nil, err
	}
	if err := c.WaitUntilE(t, "kube-controller-manager /healthz and the default ServiceAccount", opts.ReadyTimeout, func() error {
		if err := httpOK(insecure, "https://"+hostPort(kcmPort)+"/healthz", "", "ok"); err != nil {
			return err
		}
		_, err := c.Clientset.CoreV1().ServiceAccounts("default").Get(context.Background(), "default", metav1.GetOptions{})
		return err
	}); err != nil {
		return nil, err
	}

	if err := c.CreateNodesE(t, nodes); err != nil {
		return nil, err
	}
	return c, nil
}

// CreateNodesE creates Nodes (from NodeObjects) and waits until kwok reports each Ready.
func (c *Cluster) CreateNodesE(t TestingT, nodes []corev1.Node) error {
	t.Helper()
	ctx := context.Background()
	for i := range nodes {
		created, err := c.Clientset.CoreV1().Nodes().Create(ctx, &nodes[i], metav1.CreateOptions{FieldValidation: "Strict"})
		if err != nil {
			return fmt.Errorf("create node %s: %w", nodes[i].Name, err)
		}
		c.Nodes = append(c.Nodes, *created)
	}
	if len(nodes) == 0 {
		return nil
	}
	return c.WaitUntilE(t, fmt.Sprintf("%d kwok nodes Ready", len(nodes)), 2*time.Minute, func() error {
		var notReady []string
		for _, n := range nodes {
			got, err := c.Clientset.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !nodeReady(got) {
				notReady = append(notReady, n.Name)
			}
		}
		if len(notReady) > 0 {
			return fmt.Errorf("nodes not Ready yet: %s", strings.Join(notReady, ", "))
		}
		return nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// WaitUntilE retries check every 500 ms until it returns nil or timeout passes, then
// returns the last error. A component that exits meanwhile ends the wait at once with
// the tail of its log. It logs nothing while waiting: Terratest's retry module prints
// every attempt, which buries the output that matters.
func (c *Cluster) WaitUntilE(t TestingT, what string, timeout time.Duration, check func() error) error {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, p := range c.processes {
			if err := p.ExitedE(); err != nil {
				return fmt.Errorf("waiting for %s: %w", what, err)
			}
		}
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: gave up after %s: %w", what, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// WaitUntil is WaitUntilE that fails the test.
func (c *Cluster) WaitUntil(t TestingT, what string, timeout time.Duration, check func() error) {
	t.Helper()
	if err := c.WaitUntilE(t, what, timeout, check); err != nil {
		t.Fatalf("%v", err)
	}
}

// httpOK GETs url and wants 200 with want in the body.
func httpOK(client *http.Client, url, token, want string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("%w: GET %s: %d %s", errNotReady, url, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
