package adapter

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
	"github.com/illgw/illgw/sip2"
)

// Backend is a sip2.Backend over the Circulation service. Client is
// required; the zero value of the rest is ready.
type Backend struct {
	Client illgwv1.CirculationClient
}

// withProtocol tags an outgoing call as coming in by SIP2, for the
// gateway's metrics (illgwv1.ProtocolMetadataKey).
func withProtocol(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, illgwv1.ProtocolMetadataKey, "sip2")
}

// Login implements sip2.Backend, SIP2 §"Login": the broker checks the
// account, its password and the kiosk's address. A refusal is
// sip2.ErrLoginFailed; the password is never logged.
func (b *Backend) Login(ctx context.Context, login, password string, conn sip2.ConnInfo) (sip2.Session, error) {
	resp, err := b.Client.Login(withProtocol(ctx), &illgwv1.LoginRequest{
		Login: login, Password: password, Location: conn.Location, RemoteAddr: conn.Remote.String(),
	})
	if err != nil {
		return nil, err
	}
	if !resp.GetOk() || resp.GetTerminal() == nil {
		return nil, sip2.ErrLoginFailed
	}
	s := &Session{c: b.Client, t: resp.GetTerminal(), charset: sip2.UTF8}
	if name := s.t.GetCharset(); name != "" {
		cs, err := sip2.ParseCharset(name)
		if err != nil {
			return nil, err
		}
		s.charset = cs
	}
	return s, nil
}

// Error turns a Circulation call's error into the *sip2.Error the Server
// sends as the request's negative response (SIP2 AF screen message),
// STYLE.md "one table-tested function mapping a gRPC status". A refusal
// meant for the kiosk (PERMISSION_DENIED: a patron the member's directory
// refused) keeps the broker's message; everything else gets a fixed
// sentence, and the cause goes to the log only.
func Error(err error) *sip2.Error {
	if err == nil {
		return nil
	}
	var se *sip2.Error
	if errors.As(err, &se) {
		return se
	}
	msg := "The library system is unavailable. Please ask staff for help."
	st, ok := status.FromError(err)
	switch {
	case !ok && errors.Is(err, context.DeadlineExceeded):
		msg = "The library system did not answer in time. Please try again."
	case !ok:
	case st.Code() == codes.PermissionDenied && st.Message() != "":
		msg = st.Message()
	case st.Code() == codes.Unavailable:
		msg = "The library system is unavailable. Please try again later or ask staff for help."
	case st.Code() == codes.DeadlineExceeded:
		msg = "The library system did not answer in time. Please try again."
	case st.Code() == codes.ResourceExhausted:
		msg = "The library system is busy. Please try again in a moment."
	case st.Code() == codes.Unimplemented:
		msg = "This function is not available here."
	case st.Code() == codes.Unauthenticated, st.Code() == codes.FailedPrecondition:
		msg = "This terminal is not set up for this. Please ask staff for help."
	case st.Code() == codes.InvalidArgument:
		msg = "The request could not be processed. Please check it and try again."
	case st.Code() == codes.NotFound:
		msg = "Not found. Please ask staff for help."
	case st.Code() == codes.Canceled:
		msg = "The request was cancelled. Please try again."
	}
	return &sip2.Error{ScreenMessage: msg, Err: err}
}

// ReplayStore is a sip2.ReplayStore kept by the broker in its state store
// (Circulation GetReplay/PutReplay), so a kiosk's retry is recognised after
// a reconnect and on another gateway instance. Only the request's keyed
// digest travels and is stored, in ReplayEntry.request; never the request,
// which may hold a PIN. Client is required.
type ReplayStore struct {
	Client illgwv1.CirculationClient
}

// Get implements sip2.ReplayStore.
func (s *ReplayStore) Get(ctx context.Context, terminal string) (sip2.ReplayEntry, bool, error) {
	e, err := s.Client.GetReplay(withProtocol(ctx), &illgwv1.GetReplayRequest{Terminal: terminal})
	if status.Code(err) == codes.NotFound {
		return sip2.ReplayEntry{}, false, nil
	}
	if err != nil {
		return sip2.ReplayEntry{}, false, err
	}
	return sip2.ReplayEntry{Digest: e.GetRequest(), Response: e.GetResponse()}, true, nil
}

// Put implements sip2.ReplayStore.
func (s *ReplayStore) Put(ctx context.Context, terminal string, e sip2.ReplayEntry) error {
	_, err := s.Client.PutReplay(withProtocol(ctx), &illgwv1.ReplayEntry{Terminal: terminal, Request: e.Digest, Response: e.Response})
	return err
}

var _ sip2.ReplayStore = (*ReplayStore)(nil)
