// Package systemsvc serves kamld.v1.SystemService over the backends (package backend) and the build (package
// version): what the sidecar is, and how its backends are doing.
package systemsvc

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	kamldv1 "github.com/kamld/kamld/sidecar/gen/kamld/v1"
	"github.com/kamld/kamld/sidecar/internal/auth"
	"github.com/kamld/kamld/sidecar/internal/backend"
	"github.com/kamld/kamld/sidecar/internal/observe"
	"github.com/kamld/kamld/sidecar/internal/version"
)

// Service serves kamld.v1.SystemService.
type Service struct {
	kamldv1.UnimplementedSystemServiceServer
	backends     *backend.Set
	capabilities []string
	start        time.Time
	fleet        *fleet
}

// New returns the service. capabilities are the feature names this build serves; prometheusURL, when set, is
// where GetMetricsSummary's fleet view reads from.
func New(backends *backend.Set, capabilities []string, start time.Time, prometheusURL string) *Service {
	return &Service{backends: backends, capabilities: capabilities, start: start, fleet: newFleet(prometheusURL)}
}

// withHistory adds what this process saw of the backend's health over time.
func withHistory(bs *kamldv1.BackendStatus, h observe.Health) {
	bs.Failures, bs.LastError = h.Failures, h.LastError
	if !h.DegradedSince.IsZero() {
		bs.DegradedSince = timestamppb.New(h.DegradedSince)
	}
	if !h.LastErrorTime.IsZero() {
		bs.LastErrorTime = timestamppb.New(h.LastErrorTime)
	}
}

// GetInfo implements kamld.v1.SystemService.
func (s *Service) GetInfo(ctx context.Context, _ *kamldv1.GetInfoRequest) (*kamldv1.SystemInfo, error) {
	b := version.Get()
	info := &kamldv1.SystemInfo{
		Version:    b.Version,
		ApiVersion: version.APIVersion,
		Build: &kamldv1.BuildInfo{
			Commit: b.Commit, Time: b.Time, GoVersion: b.GoVersion, Platform: b.Platform,
		},
		Health:       kamldv1.Health_HEALTH_SERVING,
		Capabilities: s.capabilities,
		StartTime:    timestamppb.New(s.start),
	}
	if p, ok := auth.PrincipalFrom(ctx); ok {
		info.Identity, info.Groups, info.Admin, info.Verified = p.Name, p.Groups, p.Admin, p.Verified
	}
	for _, st := range s.backends.Statuses(ctx) {
		bs := &kamldv1.BackendStatus{Capability: st.Capability, Backend: st.Backend, Location: st.Location, Health: kamldv1.Health_HEALTH_SERVING, NotStarted: st.NotStarted}
		if st.Err != nil {
			bs.Health, bs.Message = kamldv1.Health_HEALTH_NOT_SERVING, observe.Redact(st.Err.Error())
			info.Health = kamldv1.Health_HEALTH_NOT_SERVING
		}
		withHistory(bs, st.History)
		info.Backends = append(info.Backends, bs)
	}
	return info, nil
}
