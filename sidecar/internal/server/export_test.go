package server

// RouteRPC is the gRPC method a REST request with method and path calls ("" when no API route takes it): the
// tests' audit check uses it to tell a mutating request from a read.
func RouteRPC(method, path string) string {
	for _, r := range apiRoutes() {
		if r.method == method && r.path.MatchString(path) {
			return r.rpc
		}
	}
	return ""
}
