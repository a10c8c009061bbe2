package broker

import (
	"context"

	"github.com/sony/gobreaker/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/illgw/illgw/broker/member"
	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// registryHealth reports every member's breakers from the member registry
// (broker/member), by member code and protocol, for Members.Health: state,
// whether another instance flagged it open, the last failure (sanitised by
// the registry) and the call counts. Without a registry it is empty and
// Members.Health reports BREAKER_STATE_UNKNOWN.
func (b *Broker) registryHealth(ctx context.Context) map[string]map[illgwv1.Protocol]*illgwv1.ProtocolHealth {
	out := map[string]map[illgwv1.Protocol]*illgwv1.ProtocolHealth{}
	if b.registry == nil {
		return out
	}
	for _, mh := range b.registry.Health(ctx) {
		ps := map[illgwv1.Protocol]*illgwv1.ProtocolHealth{}
		for _, h := range mh.Protocols {
			p, ok := protocolOf[h.Protocol]
			if !ok {
				continue
			}
			ph := &illgwv1.ProtocolHealth{Protocol: p, Breaker: breakerOf(h.Breaker), OpenConsortiumWide: h.Flagged,
				LastError: h.LastError, Requests: int64(h.Requests), Failures: int64(h.Failures)}
			if h.Flagged && ph.Breaker != illgwv1.BreakerState_BREAKER_STATE_OPEN {
				ph.Breaker = illgwv1.BreakerState_BREAKER_STATE_OPEN
			}
			if !h.LastErrorAt.IsZero() {
				ph.LastErrorAt = timestamppb.New(h.LastErrorAt)
			}
			ps[p] = ph
		}
		out[mh.Code] = ps
	}
	return out
}

var protocolOf = map[member.Protocol]illgwv1.Protocol{
	member.Z3950: illgwv1.Protocol_PROTOCOL_Z3950,
	member.SRU:   illgwv1.Protocol_PROTOCOL_SRU,
	member.NCIP:  illgwv1.Protocol_PROTOCOL_NCIP,
	member.SIP2:  illgwv1.Protocol_PROTOCOL_SIP2,
	member.LDAP:  illgwv1.Protocol_PROTOCOL_LDAP,
}

func breakerOf(s gobreaker.State) illgwv1.BreakerState {
	switch s {
	case gobreaker.StateClosed:
		return illgwv1.BreakerState_BREAKER_STATE_CLOSED
	case gobreaker.StateHalfOpen:
		return illgwv1.BreakerState_BREAKER_STATE_HALF_OPEN
	case gobreaker.StateOpen:
		return illgwv1.BreakerState_BREAKER_STATE_OPEN
	}
	return illgwv1.BreakerState_BREAKER_STATE_UNKNOWN
}
