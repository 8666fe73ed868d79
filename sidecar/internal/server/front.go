package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/apierr"
	"github.com/kamld/kamld/sidecar/internal/server/interceptors"
)

// httpFront is what every HTTP request meets first, before any router or body parser. API routes (/v1/…) are
// authenticated first, so that a caller without a valid token learns nothing about how its request would have
// been read: 401 whatever the body. Then a path that is not in canonical form is refused (see pathProblem):
// Go's ServeMux would otherwise answer it with a redirect to the cleaned path, which a client following
// redirects turns into a write of another file.
func (s *Server) httpFront(next http.Handler) http.Handler {
	routes := apiRoutes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			if err := s.authenticateHTTP(r); err != nil {
				apierr.WriteStatus(w, apierr.Status(s.auditRefusal(r, err)))
				return
			}
		}
		if why := pathProblem(r.URL.EscapedPath()); why != "" {
			apierr.WriteStatus(w, apierr.Status(apierr.New(codes.InvalidArgument, kamldv1.ErrorReason_ERROR_REASON_PATH_NOT_CANONICAL, "%s: %s", r.URL.EscapedPath(), why)))
			return
		}
		if methods := otherMethods(routes, r.Method, r.URL.Path); len(methods) > 0 {
			// The path is one of the API's, but not for this method. Answered here because the gateway
			// would otherwise read a custom method's path ("snapshots/v1:restore") as a resource name of
			// another binding ("snapshots/{snapshot}") and answer 400 for a name it cannot parse.
			w.Header().Set("Allow", strings.Join(methods, ", "))
			apierr.WriteStatus(w, apierr.Status(apierr.New(codes.Unimplemented, kamldv1.ErrorReason_ERROR_REASON_METHOD_NOT_ALLOWED, "%s does not take %s; it takes %s", r.URL.Path, r.Method, strings.Join(methods, ", "))))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticateHTTP checks an API request's credential before anything reads its body: the token in single
// mode; in shared mode the verified credential, and no X-Kamld-User in either of the spellings the gateway
// would forward. The gRPC call the gateway then makes is authenticated again by the interceptor chain.
func (s *Server) authenticateHTTP(r *http.Request) error {
	if s.verifier == nil {
		err := interceptors.CheckToken(s.token, r.Header.Values("Authorization"))
		if err != nil {
			if isJob, jerr := interceptors.AuthenticateJob(r.Context(), s.jobTokens, r.Header.Values("Authorization")); isJob {
				return jerr
			}
		}
		return err
	}
	identity := append(r.Header.Values(interceptors.IdentityKey), r.Header.Values(runtime.MetadataHeaderPrefix+interceptors.IdentityKey)...)
	_, err := interceptors.VerifyShared(r.Context(), s.verifier, r.Header.Values("Authorization"), identity)
	return err
}

// auditRefusal writes the audit record of a request refused by authentication before it is answered, and
// returns the answer: err, or UNAVAILABLE when the record could not be written.
func (s *Server) auditRefusal(r *http.Request, err error) error {
	if s.audit == nil {
		return err
	}
	rec := interceptors.RefusalRecord(r.Method, r.URL.Path, r.Header.Get(interceptors.RequestIDKey), r.RemoteAddr, err)
	if werr := s.audit.Write(context.WithoutCancel(r.Context()), rec); werr != nil {
		s.log.Error("audit record not written; the request is answered UNAVAILABLE", "method", rec.Method, "error", werr)
		return interceptors.AuditUnavailable(werr)
	}
	return err
}

// pathProblem says why an escaped request path is not canonical: a "." or ".." segment, or an empty segment
// before the last ("a//b", "//x"). A trailing slash is left to the routes. Percent-encoded dots are not dot
// segments here (they are part of a name, which the file path rules then refuse).
func pathProblem(escaped string) string {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	for i, seg := range segs {
		switch {
		case seg == "." || seg == "..":
			return "the path has a " + seg + " segment; paths are taken literally, never resolved: send the path as meant"
		case seg == "" && i < len(segs)-1:
			return "the path has an empty segment (//); send the path without it"
		}
	}
	return ""
}
