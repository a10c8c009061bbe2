package member

import (
	"github.com/sony/gobreaker/v2"
	"google.golang.org/protobuf/types/known/timestamppb"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// ProtoProtocol maps a Protocol to the broker API's enum
// (proto/illgw/v1/members.proto Protocol).
func ProtoProtocol(p Protocol) illgwv1.Protocol {
	switch p {
	case Z3950:
		return illgwv1.Protocol_PROTOCOL_Z3950
	case SRU:
		return illgwv1.Protocol_PROTOCOL_SRU
	case NCIP:
		return illgwv1.Protocol_PROTOCOL_NCIP
	case SIP2:
		return illgwv1.Protocol_PROTOCOL_SIP2
	case LDAP:
		return illgwv1.Protocol_PROTOCOL_LDAP
	}
	return illgwv1.Protocol_PROTOCOL_UNSPECIFIED
}

// Proto returns h as Members.Health reports it (members.proto
// ProtocolHealth): the local breaker state, open_consortium_wide for a
// flag set by another instance, the last failure and the totals.
func (h ProtocolHealth) Proto() *illgwv1.ProtocolHealth {
	out := &illgwv1.ProtocolHealth{
		Protocol:           ProtoProtocol(h.Protocol),
		OpenConsortiumWide: h.Flagged,
		LastError:          h.LastError,
		Requests:           int64(h.Requests),
		Failures:           int64(h.Failures),
	}
	switch h.Breaker {
	case gobreaker.StateClosed:
		out.Breaker = illgwv1.BreakerState_BREAKER_STATE_CLOSED
	case gobreaker.StateHalfOpen:
		out.Breaker = illgwv1.BreakerState_BREAKER_STATE_HALF_OPEN
	case gobreaker.StateOpen:
		out.Breaker = illgwv1.BreakerState_BREAKER_STATE_OPEN
	}
	if !h.LastErrorAt.IsZero() {
		out.LastErrorAt = timestamppb.New(h.LastErrorAt)
	}
	return out
}

// Proto returns h as Members.Health reports it (members.proto MemberHealth).
func (h MemberHealth) Proto() *illgwv1.MemberHealth {
	out := &illgwv1.MemberHealth{Code: h.Code}
	for _, p := range h.Protocols {
		out.Protocols = append(out.Protocols, p.Proto())
	}
	return out
}
