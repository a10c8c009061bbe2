package broker

import (
	"context"
	"slices"
	"sort"

	"google.golang.org/protobuf/types/known/durationpb"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

type membersService struct {
	illgwv1.UnimplementedMembersServer
	b *Broker
}

// List returns the configured members and virtual databases.
func (s *membersService) List(ctx context.Context, _ *illgwv1.ListMembersRequest) (*illgwv1.ListMembersResponse, error) {
	resp := &illgwv1.ListMembersResponse{}
	for _, m := range s.b.members {
		resp.Members = append(resp.Members, &illgwv1.Member{
			Code:        m.Code,
			Name:        m.Name,
			Protocols:   slices.Clone(m.Protocols),
			Lends:       m.Lends,
			Borrows:     m.Borrows,
			CatalogOnly: catalogOnly(m.Protocols),
		})
	}
	names := make([]string, 0, len(s.b.databases))
	for name := range s.b.databases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		resp.Databases = append(resp.Databases, &illgwv1.Database{Name: name, Members: slices.Clone(s.b.databases[name])})
	}
	return resp, nil
}

func catalogOnly(ps []illgwv1.Protocol) bool {
	if len(ps) == 0 {
		return false
	}
	for _, p := range ps {
		if p != illgwv1.Protocol_PROTOCOL_Z3950 && p != illgwv1.Protocol_PROTOCOL_SRU {
			return false
		}
	}
	return true
}

// Health reports each member's protocols with their breakers (state, last
// error, call counts: registryHealth) and the state store's Ping. A
// protocol without a breaker in the registry is BREAKER_STATE_UNKNOWN: an
// honest "not measured", never a made-up "closed". Asking about a member
// that is not configured is NOT_FOUND.
func (s *membersService) Health(ctx context.Context, req *illgwv1.HealthRequest) (*illgwv1.HealthResponse, error) {
	for _, code := range req.GetMembers() {
		if _, ok := s.b.byCode[code]; !ok {
			return nil, errorf(codeNotFound, "no member %q", truncate(code, maxCodeLen))
		}
	}
	resp := &illgwv1.HealthResponse{Store: s.b.storeHealth(ctx)}
	breakers := s.b.registryHealth(ctx)
	for _, m := range s.b.members {
		if len(req.GetMembers()) > 0 && !slices.Contains(req.GetMembers(), m.Code) {
			continue
		}
		mh := &illgwv1.MemberHealth{Code: m.Code}
		for _, p := range m.Protocols {
			ph := breakers[m.Code][p]
			if ph == nil {
				ph = &illgwv1.ProtocolHealth{Protocol: p, Breaker: illgwv1.BreakerState_BREAKER_STATE_UNKNOWN}
			}
			mh.Protocols = append(mh.Protocols, ph)
		}
		resp.Members = append(resp.Members, mh)
	}
	return resp, nil
}

// storeHealth pings the state store under the broker's ping timeout.
func (b *Broker) storeHealth(ctx context.Context) *illgwv1.StoreHealth {
	ctx, cancel := context.WithTimeout(ctx, b.pingWait)
	defer cancel()
	start := b.now()
	err := b.store.Ping(ctx)
	h := &illgwv1.StoreHealth{Driver: b.driver, Ok: err == nil, Latency: durationpb.New(b.now().Sub(start))}
	if err != nil {
		h.Error = err.Error()
	}
	return h
}
