package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
)

// putRaw uploads content to a draft over the raw file route.
func putRaw(t *testing.T, s *sidecar, dataset, path, content string) {
	t.Helper()
	req, _ := http.NewRequest("PUT", s.baseURL+"/v1/datasets/"+dataset+"/content/"+path, strings.NewReader(content))
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
}

// TestIfRangeAndClampedRange: a resumed download whose validator no longer matches gets the whole new file
// (never 206 with bytes of another version); a Range end beyond the file is clamped.
func TestIfRangeAndClampedRange(t *testing.T) {
	s := startSidecar(t)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "resume"})
	require.NoError(t, err)
	putRaw(t, s, "resume", "f.bin", "version one, old bytes")
	const url = "/v1/datasets/resume/content/f.bin?ref=draft"
	old := s.rawWith(t, "GET", url, nil)
	oldTag, oldDate := old.header.Get("ETag"), old.header.Get("Last-Modified")
	require.NotEmpty(t, oldTag)
	require.NotEmpty(t, oldDate)

	same := s.rawWith(t, "GET", url, map[string]string{"Range": "bytes=8-", "If-Range": oldTag})
	assert.Equal(t, http.StatusPartialContent, same.code)
	assert.Equal(t, "one, old bytes", same.body)
	weak := s.rawWith(t, "GET", url, map[string]string{"Range": "bytes=8-", "If-Range": "W/" + oldTag})
	assert.Equal(t, http.StatusOK, weak.code, "a weak tag never matches strongly")
	assert.Equal(t, "version one, old bytes", weak.body)

	time.Sleep(1100 * time.Millisecond) // the date is a strong validator only a second after the write
	byDate := s.rawWith(t, "GET", url, map[string]string{"Range": "bytes=8-", "If-Range": oldDate})
	assert.Equal(t, http.StatusPartialContent, byDate.code)

	putRaw(t, s, "resume", "f.bin", "version two, with other bytes")
	for _, v := range []string{oldTag, oldDate} {
		stale := s.rawWith(t, "GET", url, map[string]string{"Range": "bytes=8-", "If-Range": v})
		assert.Equal(t, http.StatusOK, stale.code, "If-Range %s", v)
		assert.Equal(t, "version two, with other bytes", stale.body, "If-Range %s", v)
		assert.Empty(t, stale.header.Get("Content-Range"))
	}
	huge := s.rawWith(t, "GET", url, map[string]string{"Range": "bytes=0-99999999999999999999"})
	assert.Equal(t, http.StatusPartialContent, huge.code, huge.body)
	assert.Equal(t, "version two, with other bytes", huge.body)
	assert.Equal(t, "bytes 0-28/29", huge.header.Get("Content-Range"))
	from8 := s.rawWith(t, "GET", url, map[string]string{"Range": "bytes=8-99999999999999999999"})
	assert.Equal(t, "two, with other bytes", from8.body)
}

// TestDotSegmentsAreRefusedNotRedirected: unencoded dot and empty segments in a path are 400 with a reason,
// for reads and writes, and nothing is written.
func TestDotSegmentsAreRefusedNotRedirected(t *testing.T) {
	s := startSidecar(t)
	_, err := kamldv1.NewDatasetServiceClient(s.conn).CreateDataset(s.authed(), &kamldv1.CreateDatasetRequest{DatasetId: "dots"})
	require.NoError(t, err)
	noFollow := &http.Client{Transport: s.http.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"sub/../evil.csv", "..", "../x.csv", "/x.csv", "a//b.csv", "a/./b.csv", "./a.csv", "a/.."} {
		for _, method := range []string{"PUT", "GET"} {
			req, err := http.NewRequest(method, s.baseURL+"/v1/datasets/dots/content/"+p, strings.NewReader("x\n1\n"))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+s.token)
			resp, err := noFollow.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s %s: %s", method, p, b)
			assert.Empty(t, resp.Header.Get("Location"), "%s %s", method, p)
			assert.Contains(t, decodeStatus(t, string(b)).Message, "segment", "%s %s", method, p)
		}
	}
	files, err := kamldv1.NewFileServiceClient(s.conn).ListFiles(s.authed(), &kamldv1.ListFilesRequest{Dataset: "datasets/dots", Ref: "draft"})
	require.NoError(t, err)
	assert.Empty(t, files.GetFiles(), "no write reached the draft")
}

var templateVar = regexp.MustCompile(`\{([a-z_.]+)(=[^}]*)?\}`)

// samplePath fills a path template with names of the right shape.
func samplePath(template string) string {
	return templateVar.ReplaceAllStringFunc(template, func(m string) string {
		sub := templateVar.FindStringSubmatch(m)[2]
		if sub == "" {
			return "x"
		}
		return strings.NewReplacer("**", "a/b.csv", "*", "x").Replace(strings.TrimPrefix(sub, "="))
	})
}

// TestAuthenticationComesBeforeParsing: on every route, over REST and gRPC, a call without a token and with
// a malformed body is UNAUTHENTICATED / 401, never a complaint about the body.
func TestAuthenticationComesBeforeParsing(t *testing.T) {
	s := startSidecar(t)
	for _, sd := range allServices() {
		for i := 0; i < sd.Methods().Len(); i++ {
			m := sd.Methods().Get(i)
			full := fmt.Sprintf("/%s/%s", sd.FullName(), m.Name())
			err := callMalformed(s, full, m.IsStreamingClient() || m.IsStreamingServer())
			assert.Equal(t, codes.Unauthenticated, status.Code(err), "gRPC %s: %v", full, err)
			if !hasHTTPRule(m) {
				continue
			}
			rule := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
			for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
				method, tmpl := httpRule(r)
				code, body, _ := s.rest(t, method, samplePath(tmpl), `{"noSuchField": [1, 2}`, map[string]string{"Content-Type": "application/json"})
				assert.Equal(t, http.StatusUnauthorized, code, "REST %s %s: %s", method, samplePath(tmpl), body)
			}
		}
	}
	code, body, _ := s.rest(t, "PUT", "/v1/datasets/x/content/a.csv", "x\n", nil)
	assert.Equal(t, http.StatusUnauthorized, code, body)
}

func httpRule(r *annotations.HttpRule) (string, string) {
	switch {
	case r.GetGet() != "":
		return "GET", r.GetGet()
	case r.GetPost() != "":
		return "POST", r.GetPost()
	case r.GetPut() != "":
		return "PUT", r.GetPut()
	case r.GetPatch() != "":
		return "PATCH", r.GetPatch()
	}
	return "DELETE", r.GetDelete()
}

// callMalformed sends bytes that are no protobuf message (a field 1 claiming more bytes than follow) without a
// token.
func callMalformed(s *sidecar, method string, streaming bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bad := rawBytes{0x0a, 0xff, 0xff, 0x01}
	if !streaming {
		return s.conn.Invoke(ctx, method, bad, &emptypb.Empty{}, grpc.ForceCodecV2(rawCodec{}))
	}
	st, err := s.conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, method, grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		return err
	}
	_ = st.SendMsg(bad)
	_ = st.CloseSend()
	return st.RecvMsg(&emptypb.Empty{})
}

// TestMethodNotAllowedCarriesAllow: a 405 says which methods the path takes.
func TestMethodNotAllowedCarriesAllow(t *testing.T) {
	s := startSidecar(t)
	for path, want := range map[string]string{
		"/v1/system/info":                "GET, HEAD",
		"/v1/datasets/x":                 "DELETE, GET, HEAD, PATCH",
		"/v1/datasets/x/content/a/b.csv": "GET, HEAD, PUT",
		"/v1/queries:execute":            "POST",
	} {
		method := "POST"
		if path == "/v1/queries:execute" {
			method = "DELETE"
		}
		code, body, hdr := s.rest(t, method, path, "{}", s.bearer())
		require.Equal(t, http.StatusMethodNotAllowed, code, "%s: %s", path, body)
		assert.Equal(t, want, hdr.Get("Allow"), path)
	}
}
