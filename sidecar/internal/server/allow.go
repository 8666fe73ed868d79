package server

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/kamld/kamld/sidecar/internal/apierr"
)

// route is one REST binding of the API: a method and its path template as a pattern, and the gRPC method
// (rpc, "/kamld.v1.Service/Method") it calls.
type route struct {
	method string
	path   *regexp.Regexp
	rpc    string
}

// apiRoutes are every google.api.http binding of the kamld.v1 services, the same rules the gateway routes
// by, so that a 405 can say which methods a path does take. The raw file routes (rawfiles.go) add PUT beside
// the GET binding of .../content/{path}, and every GET also serves HEAD. Read once: the HTTP front and the
// gateway's routing errors share them.
var apiRoutes = sync.OnceValue(readAPIRoutes)

func readAPIRoutes() []route {
	var out []route
	add := func(rpc, method, template string) {
		if method == "" {
			return
		}
		re := regexp.MustCompile("^" + templatePattern(template) + "$")
		out = append(out, route{method, re, rpc})
		if method == http.MethodGet {
			out = append(out, route{http.MethodHead, re, rpc})
			if strings.Contains(template, "/content/") {
				out = append(out, route{http.MethodPut, re, "/kamld.v1.FileService/WriteFile"})
			}
		}
	}
	add("/kamld.v1.BatchUploadService/UploadFiles", http.MethodPost, batchRoute) // rawbatch.go: no proto binding (a client stream)
	protoregistry.GlobalFiles.RangeFilesByPackage("kamld.v1", func(f protoreflect.FileDescriptor) bool {
		for i := 0; i < f.Services().Len(); i++ {
			sd := f.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				md := sd.Methods().Get(j)
				rpc := "/" + string(sd.FullName()) + "/" + string(md.Name())
				rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
				for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
					method, template := ruleMethod(r)
					add(rpc, method, template)
				}
			}
		}
		return true
	})
	return out
}

func ruleMethod(r *annotations.HttpRule) (string, string) {
	switch {
	case r.GetGet() != "":
		return http.MethodGet, r.GetGet()
	case r.GetPost() != "":
		return http.MethodPost, r.GetPost()
	case r.GetPut() != "":
		return http.MethodPut, r.GetPut()
	case r.GetPatch() != "":
		return http.MethodPatch, r.GetPatch()
	case r.GetDelete() != "":
		return http.MethodDelete, r.GetDelete()
	}
	return "", ""
}

var templateVar = regexp.MustCompile(`\{[a-z_.]+(=[^}]*)?\}`)

// templatePattern turns a path template ("/v1/{name=datasets/*}:watch") into a regular expression: a bare
// variable or * is one segment, ** any number of them.
func templatePattern(t string) string {
	var b strings.Builder
	last := 0
	for _, m := range templateVar.FindAllStringSubmatchIndex(t, -1) {
		b.WriteString(regexp.QuoteMeta(t[last:m[0]]))
		sub := "*"
		if m[2] >= 0 {
			sub = t[m[2]+1 : m[3]]
		}
		b.WriteString(segmentsPattern(sub))
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(t[last:]))
	return b.String()
}

func segmentsPattern(sub string) string {
	parts := strings.Split(sub, "/")
	for i, p := range parts {
		switch p {
		case "*":
			parts[i] = `[^/:]+`
		case "**":
			parts[i] = `.+`
		default:
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return strings.Join(parts, "/")
}

// takes reports whether some route serves method on path; it stops at the first, so a request the API does
// serve costs one or a few matches.
func takes(routes []route, method, path string) bool {
	for _, r := range routes {
		if r.method == method && r.path.MatchString(path) {
			return true
		}
	}
	return false
}

// otherMethods lists, sorted, the methods routes take on a path none of them serves with method; nil when
// one does, or when no route has the path at all.
func otherMethods(routes []route, method, path string) []string {
	if takes(routes, method, path) {
		return nil
	}
	return allowed(routes, path)
}

// allowed lists the methods routes take on path, sorted.
func allowed(routes []route, path string) []string {
	var out []string
	for _, r := range routes {
		if r.path.MatchString(path) && !slices.Contains(out, r.method) {
			out = append(out, r.method)
		}
	}
	slices.Sort(out)
	return out
}

// routingErrors is the gateway's routing error handler: apierr's, with the Allow header a 405 must carry
// (RFC 9110 §15.5.6).
func routingErrors(routes []route) runtime.RoutingErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, code int) {
		if code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", strings.Join(allowed(routes, r.URL.Path), ", "))
		}
		apierr.RoutingErrorHandler(ctx, mux, m, w, r, code)
	}
}
