package kube

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// disabledAdmission lists the admission plugins enabled by default that a control plane without controllers
// cannot satisfy or that tests do not need. ServiceAccount in particular rejects every Pod until the token
// controller has created the namespace's "default" service account, which never happens here.
var disabledAdmission = []string{
	"ServiceAccount", "DefaultStorageClass", "DefaultIngressClass", "StorageObjectInUseProtection",
	"PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval", "CertificateSigning",
	"ClusterTrustBundleAttest", "CertificateSubjectRestriction", "MutatingAdmissionWebhook",
	"ValidatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ResourceQuota", "TaintNodesByCondition",
	"DefaultTolerationSeconds", "PodSecurity", "Priority", "LimitRanger", "PodGroupProtection", "PodTopologyLabels",
	"NodeDeclaredFeatureValidator", "PodResizeValidator", "MutatingAdmissionPolicy",
}

// apiServerArgs are kube-apiserver's flags: loopback only, RBAC on (so a Role can be tested for being
// enough), client certificates and service-account tokens for authentication, and as little else as possible.
func apiServerArgs(etcdURL, port string, files map[string]string) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + port,
		"--tls-cert-file=" + files["serving.crt"],
		"--tls-private-key-file=" + files["serving.key"],
		"--client-ca-file=" + files["ca.crt"],
		"--service-account-key-file=" + files["sa.pub"],
		"--service-account-signing-key-file=" + files["sa.key"],
		"--service-account-issuer=https://kubernetes.default.svc",
		"--api-audiences=https://kubernetes.default.svc",
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/24",
		// No controller keeps the "kubernetes" Service's endpoints, and none should try to reach this address.
		"--endpoint-reconciler-type=none",
		"--disable-admission-plugins=" + strings.Join(disabledAdmission, ","),
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--v=0",
	}
}

// writeKubeconfig writes a kubeconfig for the admin user with the certificates inline.
func (s *Server) writeKubeconfig() (string, error) {
	b64 := base64.StdEncoding.EncodeToString
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kamld-test
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: kamld-test
  context:
    cluster: kamld-test
    user: admin
current-context: kamld-test
`, s.Host, b64(s.pki.caPEM), b64(s.pki.adminCert), b64(s.pki.adminKey))
	path := filepath.Join(s.dir, "kubeconfig")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}
