package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"sort"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/eksbalance/eksbalance/components/workload"
	"github.com/eksbalance/eksbalance/tests/controlplane"
	"github.com/eksbalance/eksbalance/tests/controlplane/follow"
)

// GateWebhookName is the MutatingWebhookConfiguration StartGateWebhookE registers.
const GateWebhookName = "eksbalance-test-pod-readiness-gate"

// GateType is the readiness-gate condition for the pods behind a Service: the AWS Load
// Balancer Controller names it after the TargetGroupBinding; here the Service's name
// stands in for the binding's. follow.Controller must set the same type.
func GateType(service string) string { return follow.GatePrefix + service }

// StartGateWebhookE plays the AWS Load Balancer Controller's pod mutating webhook: for a
// pod created in a namespace labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled
// (the label the workload component puts on its namespace), it adds one readiness gate
// per Service of the namespace whose selector matches the pod, so the pod is Ready only
// once its target is healthy. It serves HTTPS on loopback with a certificate made for
// the run, and registers itself with failurePolicy Fail: a pod the webhook cannot see
// is not created, rather than created without its gate.
func StartGateWebhookE(t controlplane.TestingT, c *controlplane.Cluster) error {
	t.Helper()
	caPEM, cert, err := selfSignedServing()
	if err != nil {
		return err
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate-v1-pod", func(w http.ResponseWriter, r *http.Request) { serveGates(w, r, c.Clientset) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	url := "https://" + l.Addr().String() + "/mutate-v1-pod"
	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(10)
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: GateWebhookName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         "mpod.elbv2.k8s.aws",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"},
				},
			}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{workload.ReadinessGateLabel: "enabled"}},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	_, err = c.Clientset.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(context.Background(), cfg, metav1.CreateOptions{})
	return err
}

// serveGates answers one AdmissionReview for a pod.
func serveGates(w http.ResponseWriter, r *http.Request, client kubernetes.Interface) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(w, fmt.Sprintf("not an AdmissionReview: %v", err), http.StatusBadRequest)
		return
	}
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	patch, err := gatePatch(r.Context(), client, review.Request)
	if err != nil {
		resp.Allowed = false
		resp.Result = &metav1.Status{Message: "readiness-gate webhook: " + err.Error()}
	} else if patch != nil {
		pt := admissionv1.PatchTypeJSONPatch
		resp.Patch, resp.PatchType = patch, &pt
	}
	review.Response, review.Request = resp, nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review)
}

// gatePatch is the JSON patch adding the missing gates, or nil when none is missing.
func gatePatch(ctx context.Context, client kubernetes.Interface, req *admissionv1.AdmissionRequest) ([]byte, error) {
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return nil, err
	}
	svcs, err := client.CoreV1().Services(req.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, g := range pod.Spec.ReadinessGates {
		have[string(g.ConditionType)] = true
	}
	var add []string
	for _, s := range svcs.Items {
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			continue
		}
		if gate := GateType(s.Name); !have[gate] {
			add = append(add, gate)
		}
	}
	if len(add) == 0 {
		return nil, nil
	}
	sort.Strings(add)
	type op struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}
	var ops []op
	if len(pod.Spec.ReadinessGates) == 0 {
		gates := make([]corev1.PodReadinessGate, 0, len(add))
		for _, g := range add {
			gates = append(gates, corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(g)})
		}
		ops = append(ops, op{"add", "/spec/readinessGates", gates})
	} else {
		for _, g := range add {
			ops = append(ops, op{"add", "/spec/readinessGates/-", corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(g)}})
		}
	}
	return json.Marshal(ops)
}

// selfSignedServing makes a certificate for 127.0.0.1, valid for a day, that is its
// own CA: the PEM is the webhook's caBundle.
func selfSignedServing() ([]byte, tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "eksbalance readiness-gate webhook"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return certPEM, cert, err
}
