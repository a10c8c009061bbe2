package sip2

import (
	"context"
	"errors"
)

// dispatch runs one request on the session and returns its response, or
// the request's negative response when the session refuses it, fails, or
// does not implement the operation. It returns nil for a message that is not
// a request (a response code sent by the terminal). Every case has the same
// shape: find the operation, call it, turn a failure into the negative
// response.
func (c *conn) dispatch(ctx context.Context, m Message) Message {
	switch req := m.(type) {
	case *SCStatus:
		return c.status(ctx, req)
	case *PatronStatusRequest:
		if r, err := c.sess.PatronStatus(ctx, req); err == nil && r != nil {
			return r
		} else {
			return patronStatusFailed(req.InstitutionID, req.PatronID, c.fail(req, err))
		}
	case *Checkout:
		if r, err := c.sess.Checkout(ctx, req); err == nil && r != nil {
			return r
		} else {
			return checkoutFailed(req, c.fail(req, err))
		}
	case *Checkin:
		if r, err := c.sess.Checkin(ctx, req); err == nil && r != nil {
			return r
		} else {
			return checkinFailed(req, c.fail(req, err))
		}
	case *PatronInformation:
		if s, ok := c.sess.(PatronInformer); !ok {
			return patronInfoFailed(req, unsupported)
		} else if r, err := s.PatronInformation(ctx, req); err == nil && r != nil {
			return r
		} else {
			return patronInfoFailed(req, c.fail(req, err))
		}
	case *BlockPatron:
		if s, ok := c.sess.(PatronBlocker); !ok {
			return patronStatusFailed(req.InstitutionID, req.PatronID, unsupported)
		} else if r, err := s.BlockPatron(ctx, req); err == nil && r != nil {
			return r
		} else {
			return patronStatusFailed(req.InstitutionID, req.PatronID, c.fail(req, err))
		}
	case *EndPatronSession:
		if s, ok := c.sess.(PatronSessionEnder); !ok {
			return endSessionFailed(req, unsupported)
		} else if r, err := s.EndPatronSession(ctx, req); err == nil && r != nil {
			return r
		} else {
			return endSessionFailed(req, c.fail(req, err))
		}
	case *FeePaid:
		if s, ok := c.sess.(FeePayer); !ok {
			return feePaidFailed(req, unsupported)
		} else if r, err := s.FeePaid(ctx, req); err == nil && r != nil {
			return r
		} else {
			return feePaidFailed(req, c.fail(req, err))
		}
	case *ItemInformation:
		if s, ok := c.sess.(ItemInformer); !ok {
			return itemInfoFailed(req, unsupported)
		} else if r, err := s.ItemInformation(ctx, req); err == nil && r != nil {
			return r
		} else {
			return itemInfoFailed(req, c.fail(req, err))
		}
	case *ItemStatusUpdate:
		if s, ok := c.sess.(ItemStatusUpdater); !ok {
			return itemStatusFailed(req, unsupported)
		} else if r, err := s.ItemStatusUpdate(ctx, req); err == nil && r != nil {
			return r
		} else {
			return itemStatusFailed(req, c.fail(req, err))
		}
	case *PatronEnable:
		if s, ok := c.sess.(PatronEnabler); !ok {
			return patronEnableFailed(req, unsupported)
		} else if r, err := s.PatronEnable(ctx, req); err == nil && r != nil {
			return r
		} else {
			return patronEnableFailed(req, c.fail(req, err))
		}
	case *Hold:
		if s, ok := c.sess.(Holder); !ok {
			return holdFailed(req, unsupported)
		} else if r, err := s.Hold(ctx, req); err == nil && r != nil {
			return r
		} else {
			return holdFailed(req, c.fail(req, err))
		}
	case *Renew:
		if s, ok := c.sess.(Renewer); !ok {
			return renewFailed(req, unsupported)
		} else if r, err := s.Renew(ctx, req); err == nil && r != nil {
			return r
		} else {
			return renewFailed(req, c.fail(req, err))
		}
	case *RenewAll:
		if s, ok := c.sess.(AllRenewer); !ok {
			return renewAllFailed(req, unsupported)
		} else if r, err := s.RenewAll(ctx, req); err == nil && r != nil {
			return r
		} else {
			return renewAllFailed(req, c.fail(req, err))
		}
	}
	return nil
}

// supports reports whether the session implements the request code; it
// builds the supported messages field (BX) of the ACS status.
func (c *conn) supports(code string) bool {
	var ok bool
	switch code {
	case CodePatronStatusRequest, CodeCheckout, CodeCheckin, CodeSCStatus, CodeRequestACSResend, CodeLogin:
		ok = true
	case CodePatronInformation:
		_, ok = c.sess.(PatronInformer)
	case CodeBlockPatron:
		_, ok = c.sess.(PatronBlocker)
	case CodeEndPatronSession:
		_, ok = c.sess.(PatronSessionEnder)
	case CodeFeePaid:
		_, ok = c.sess.(FeePayer)
	case CodeItemInformation:
		_, ok = c.sess.(ItemInformer)
	case CodeItemStatusUpdate:
		_, ok = c.sess.(ItemStatusUpdater)
	case CodePatronEnable:
		_, ok = c.sess.(PatronEnabler)
	case CodeHold:
		_, ok = c.sess.(Holder)
	case CodeRenew:
		_, ok = c.sess.(Renewer)
	case CodeRenewAll:
		_, ok = c.sess.(AllRenewer)
	}
	return ok
}

// status answers an SC Status (99) after login, SIP2 §"ACS Status": the
// session's answer with BX built from what it implements and on-line N
// while an OnlineReporter says its system is down.
func (c *conn) status(ctx context.Context, req *SCStatus) Message {
	st, err := c.sess.Status(ctx, req)
	var out ACSStatus
	if err != nil || st == nil {
		out.ScreenMessage = []string{c.fail(req, err).ScreenMessage}
	} else {
		out = *st
	}
	out.SupportedMessages = SupportedMessages(c.supports)
	if o, ok := c.sess.(OnlineReporter); ok && !o.Online(ctx) {
		out.Online = false
	}
	return &out
}

// unsupported answers an operation the session does not implement.
var unsupported = &Error{ScreenMessage: "This function is not available here."}

// fail turns a session error into the *Error sent back: an *Error goes out
// as it is, a timeout and anything else are logged with context and answered
// with a generic message; no Go error text reaches the terminal.
func (c *conn) fail(req Message, err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		if e.Err != nil {
			c.log.Info("sip2: request refused", "code", req.Code(), "screen", e.ScreenMessage, "err", e.Err)
		}
		if e.ScreenMessage == "" {
			e = &Error{ScreenMessage: "Request refused.", PrintLine: e.PrintLine}
		}
		return e
	case err == nil:
		c.log.Error("sip2: session returned neither response nor error", "code", req.Code())
	case errors.Is(err, context.DeadlineExceeded):
		c.log.Warn("sip2: request timed out", "code", req.Code(), "err", err)
		return &Error{ScreenMessage: "The library system did not answer in time. Please try again."}
	default:
		c.log.Error("sip2: request failed", "code", req.Code(), "err", err)
	}
	return &Error{ScreenMessage: "The library system is unavailable. Please ask staff for help."}
}
