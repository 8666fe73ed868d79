// Package chart holds the tests of the Helm chart charts/kamld (make test-chart): lint, rendering of every
// preset against golden files, kubeconform against schemas made from the Kubernetes OpenAPI document, the typo
// fixtures the values schema must reject, server-side apply to a real kube-apiserver, and a real `kamld serve`
// started from the rendered configuration. helm and kubeconform come from scripts/install-chart-tools.sh.
package chart
