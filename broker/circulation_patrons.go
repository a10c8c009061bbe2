package broker

import (
	"context"
	"errors"

	"github.com/illgw/illgw/broker/patron"
	"github.com/illgw/illgw/ncip"
)

// patronCheck is what a member's patron source (other than its ILS) says
// about a patron: SIP2 BL (valid) and CQ (pin_valid).
type patronCheck struct {
	valid, pinValid bool
	name            string
	blocked         bool
	// barred: the source says the patron may not borrow now, blocked or
	// expired (patron.Patron.Problem).
	barred bool
	screen string // the kiosk's message when not valid, the PIN is wrong or barred
}

// checkPatron authenticates a patron at the member's configured source
// (issue 9 point 6): nil for a member whose ILS answers itself (patrons:
// sip2). With an empty PIN the patron is only looked up. The PIN is never
// logged or kept.
func (c *circulation) checkPatron(ctx context.Context, r route, id, pin string) *patronCheck {
	var (
		p   patron.Patron
		err error
	)
	switch r.member.Patrons {
	case PatronsSIP2:
		return nil
	case PatronsLDAP:
		if r.member.Directory == nil {
			err = patron.ErrUnavailable
		} else if pin == "" {
			p, err = r.member.Directory.Lookup(ctx, id)
		} else {
			p, err = r.member.Directory.Authenticate(ctx, id, pin)
		}
	case PatronsNCIP:
		p, err = c.lookupNCIP(ctx, r, id, pin)
	}
	pc := &patronCheck{name: p.Name, blocked: p.Blocked}
	switch {
	case err == nil:
		pc.valid, pc.pinValid = true, pin == "" || p.PINVerified
		if problem := p.Problem(c.b.now()); problem != nil {
			pc.barred, pc.screen = true, patron.ScreenMessage(problem)
		}
	case errors.Is(err, patron.ErrBadPIN), errors.Is(err, patron.ErrLocked):
		// The patron exists; the PIN is wrong or may not be tried now.
		pc.valid, pc.screen = true, patron.ScreenMessage(err)
	default:
		if errors.Is(err, patron.ErrUnavailable) {
			c.b.log.Warn("circulation: patron source unavailable", "member", r.member.Code, "terminal", r.term.Login, "err", err)
		}
		pc.screen = patron.ScreenMessage(err)
	}
	return pc
}

// ok reports whether the patron may go on to the ILS: known, and the PIN
// right when one was given.
func (pc *patronCheck) ok() bool { return pc == nil || (pc.valid && pc.pinValid) }

// lookupNCIP asks the member's NCIP responder, NCIP 2.02 Part 1 §"Lookup
// User" with AuthenticationInput (barcode and PIN). A Problem is read by
// lookupProblem; a failed call is ErrUnavailable (fail closed).
func (c *circulation) lookupNCIP(ctx context.Context, r route, id, pin string) (patron.Patron, error) {
	rm := c.b.registry.Member(r.member.Code)
	if rm == nil || rm.NCIP() == nil {
		return patron.Patron{}, patron.ErrUnavailable
	}
	req := &ncip.LookupUser{AuthenticationInputs: []ncip.AuthenticationInput{
		{Data: id, DataFormat: ncip.SV("text/plain"), Type: ncip.SV("Barcode Id")},
	}}
	if pin != "" {
		req.AuthenticationInputs = append(req.AuthenticationInputs,
			ncip.AuthenticationInput{Data: pin, DataFormat: ncip.SV("text/plain"), Type: ncip.SV("PIN")})
	}
	resp, err := rm.NCIP().LookupUser(ctx, req)
	var problem *ncip.Problem
	switch {
	case errors.As(err, &problem):
		return patron.Patron{}, lookupProblem(problem, pin)
	case err != nil:
		return patron.Patron{}, errors.Join(patron.ErrUnavailable, err)
	case resp != nil && len(resp.Problems) > 0:
		return patron.Patron{}, lookupProblem(&resp.Problems[0], pin)
	}
	p := patron.Patron{Barcode: id, Valid: true, PINVerified: pin != ""}
	if resp != nil && resp.UserOptionalFields != nil {
		p.Blocked = len(resp.UserOptionalFields.BlockOrTraps) > 0
	}
	return p, nil
}

// lookupProblem is what a LookupUser Problem says of the patron: Temporary
// Processing Failure is the responder failing, not a verdict (NCIP 2.02
// Part 1 §5 "Problem"), so it is ErrUnavailable (fail closed); Unknown User,
// or any Problem without a PIN, is an unknown patron; any other Problem
// with a PIN is a wrong PIN.
func lookupProblem(p *ncip.Problem, pin string) error {
	switch {
	case ncip.Match(p.Type.Value, ncip.ProblemTemporaryProcessingFailure):
		return errors.Join(patron.ErrUnavailable, p)
	case ncip.Match(p.Type.Value, ncip.ProblemUnknownUser) || pin == "":
		return patron.ErrUnknownPatron
	}
	return patron.ErrBadPIN
}
