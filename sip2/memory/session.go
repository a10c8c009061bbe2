package memory

import (
	"context"

	"github.com/illgw/illgw/sip2"
)

// Session is one logged-in terminal. It implements sip2.Session and every
// add-on interface.
type Session struct {
	b    *Backend
	acct Account
}

var (
	_ sip2.Session            = (*Session)(nil)
	_ sip2.PatronInformer     = (*Session)(nil)
	_ sip2.PatronBlocker      = (*Session)(nil)
	_ sip2.PatronSessionEnder = (*Session)(nil)
	_ sip2.FeePayer           = (*Session)(nil)
	_ sip2.ItemInformer       = (*Session)(nil)
	_ sip2.ItemStatusUpdater  = (*Session)(nil)
	_ sip2.PatronEnabler      = (*Session)(nil)
	_ sip2.Holder             = (*Session)(nil)
	_ sip2.Renewer            = (*Session)(nil)
	_ sip2.AllRenewer         = (*Session)(nil)
	_ sip2.OnlineReporter     = (*Session)(nil)
	_ sip2.ConnectionLimiter  = (*Session)(nil)
	_ sip2.CharsetChooser     = (*Session)(nil)
)

func refuse(msg string) error { return &sip2.Error{ScreenMessage: msg} }

// Logout implements sip2.Session.
func (s *Session) Logout() error { return nil }

// MaxConnections implements sip2.ConnectionLimiter.
func (s *Session) MaxConnections() int { return s.acct.MaxConnections }

// Charset implements sip2.CharsetChooser.
func (s *Session) Charset() sip2.Charset { return s.acct.Charset }

// Online implements sip2.OnlineReporter.
func (s *Session) Online(context.Context) bool {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return !s.b.offline
}

// Status implements sip2.Session.
func (s *Session) Status(_ context.Context, _ *sip2.SCStatus) (*sip2.ACSStatus, error) {
	return &sip2.ACSStatus{
		Online: true, CheckinOK: true, CheckoutOK: true, RenewalPolicy: true, StatusUpdateOK: true, OfflineOK: false,
		TimeoutPeriod: 100, RetriesAllowed: 3, DateTimeSync: s.b.now(), ProtocolVersion: "2.00",
		InstitutionID: s.acct.Institution, LibraryName: s.acct.LibraryName,
	}, nil
}

// patron looks a patron up and checks the PIN when one is given; callers
// hold b.mu. valid and pinOK feed BL and CQ.
func (s *Session) patron(id, pin string) (p *Patron, pinOK bool) {
	p = s.b.patrons[id]
	if p == nil {
		return nil, false
	}
	return p, pin == "" || pin == p.PIN
}

func (s *Session) owed(p *Patron) int {
	n := 0
	for _, f := range p.Fines {
		n += f.Amount
	}
	return n
}

// PatronStatus implements sip2.Session.
func (s *Session) PatronStatus(_ context.Context, req *sip2.PatronStatusRequest) (*sip2.PatronStatusResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	r := &sip2.PatronStatusResponse{Language: req.Language, InstitutionID: s.acct.Institution, PatronID: req.PatronID}
	p, pinOK := s.patron(req.PatronID, req.PatronPassword)
	if p == nil {
		r.PatronStatus, r.ValidPatron, r.ScreenMessage = sip2.AllDenied, sip2.No, []string{"Unknown patron."}
		return r, nil
	}
	r.PatronStatus, r.PersonalName, r.ValidPatron = p.Status, p.Name, sip2.Yes
	r.ValidPatronPassword = sip2.FlagOf(pinOK)
	r.CurrencyType, r.FeeAmount = "USD", money(s.owed(p))
	return r, nil
}

// PatronInformation implements sip2.PatronInformer. Item lists honour the
// summary position and the 1-based start/end items (BP/BQ).
func (s *Session) PatronInformation(_ context.Context, req *sip2.PatronInformation) (*sip2.PatronInformationResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	r := &sip2.PatronInformationResponse{Language: req.Language, InstitutionID: s.acct.Institution, PatronID: req.PatronID}
	p, pinOK := s.patron(req.PatronID, req.PatronPassword)
	if p == nil {
		r.PatronStatus, r.ValidPatron, r.ScreenMessage = sip2.AllDenied, sip2.No, []string{"Unknown patron."}
		return r, nil
	}
	var charged, overdue, holds []string
	now := s.b.now()
	for _, it := range s.b.sortedItems() {
		if it.ChargedTo == p.ID {
			charged = append(charged, it.ID)
			if now.After(it.Due) {
				overdue = append(overdue, it.ID)
			}
		}
		for _, h := range it.Holds {
			if h == p.ID {
				holds = append(holds, it.ID)
			}
		}
	}
	var fines []string
	for _, f := range p.Fines {
		fines = append(fines, f.ID+" "+money(f.Amount))
	}
	r.PatronStatus, r.PersonalName, r.ValidPatron, r.ValidPatronPassword = p.Status, p.Name, sip2.Yes, sip2.FlagOf(pinOK)
	r.HoldItemsCount, r.OverdueItemsCount, r.ChargedItemsCount = sip2.Count(len(holds)), sip2.Count(len(overdue)), sip2.Count(len(charged))
	r.FineItemsCount, r.RecallItemsCount, r.UnavailableHoldsCount = sip2.Count(len(fines)), 0, 0
	r.CurrencyType, r.FeeAmount, r.Email, r.HomePhone, r.HomeAddress = "USD", money(s.owed(p)), p.Email, p.Phone, p.Address
	if !pinOK {
		// Lists only for a patron who proved the PIN.
		return r, nil
	}
	pick := func(list []string) []string { return window(list, req.StartItem, req.EndItem) }
	sum := req.Summary + "      "
	switch {
	case sum[0] == 'Y':
		r.HoldItems = pick(holds)
	case sum[1] == 'Y':
		r.OverdueItems = pick(overdue)
	case sum[2] == 'Y':
		r.ChargedItems = pick(charged)
	case sum[3] == 'Y':
		r.FineItems = pick(fines)
	}
	return r, nil
}

// window applies the 1-based BP/BQ range of a 63.
func window(list []string, start, end string) []string {
	from, to := 1, len(list)
	if n, ok := atoi(start); ok && n > 0 {
		from = n
	}
	if n, ok := atoi(end); ok && n >= from {
		to = min(n, len(list))
	}
	if from > len(list) {
		return nil
	}
	return list[from-1 : to]
}

func atoi(s string) (int, bool) {
	n := 0
	if s == "" || len(s) > 6 {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (b *Backend) sortedItems() []*Item {
	ids := make([]string, 0, len(b.items))
	for id := range b.items {
		ids = append(ids, id)
	}
	sortStrings(ids)
	out := make([]*Item, len(ids))
	for i, id := range ids {
		out[i] = b.items[id]
	}
	return out
}

// BlockPatron implements sip2.PatronBlocker: the patron loses every
// privilege until a Patron Enable.
func (s *Session) BlockPatron(_ context.Context, req *sip2.BlockPatron) (*sip2.PatronStatusResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	p := s.b.patrons[req.PatronID]
	if p == nil {
		return nil, refuse("Unknown patron.")
	}
	p.Status |= sip2.AllDenied
	if req.CardRetained {
		p.Status |= sip2.CardLost
	}
	p.BlockedMessage = req.BlockedCardMessage
	return &sip2.PatronStatusResponse{PatronStatus: p.Status, InstitutionID: s.acct.Institution, PatronID: p.ID,
		PersonalName: p.Name, ValidPatron: sip2.Yes, ScreenMessage: []string{"Card blocked."}}, nil
}

// PatronEnable implements sip2.PatronEnabler.
func (s *Session) PatronEnable(_ context.Context, req *sip2.PatronEnable) (*sip2.PatronEnableResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	p, pinOK := s.patron(req.PatronID, req.PatronPassword)
	if p == nil {
		return nil, refuse("Unknown patron.")
	}
	if !pinOK {
		return nil, refuse("Wrong PIN.")
	}
	p.Status &^= sip2.AllDenied | sip2.CardLost
	p.BlockedMessage = ""
	return &sip2.PatronEnableResponse{PatronStatus: p.Status, InstitutionID: s.acct.Institution, PatronID: p.ID,
		PersonalName: p.Name, ValidPatron: sip2.Yes, ValidPatronPassword: sip2.Yes}, nil
}

// EndPatronSession implements sip2.PatronSessionEnder.
func (s *Session) EndPatronSession(_ context.Context, req *sip2.EndPatronSession) (*sip2.EndSessionResponse, error) {
	return &sip2.EndSessionResponse{EndSession: true, InstitutionID: s.acct.Institution, PatronID: req.PatronID,
		ScreenMessage: []string{"Goodbye."}}, nil
}

// FeePaid implements sip2.FeePayer: the amount pays the fee named by CG, or
// the oldest fees first.
func (s *Session) FeePaid(_ context.Context, req *sip2.FeePaid) (*sip2.FeePaidResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	p := s.b.patrons[req.PatronID]
	if p == nil {
		return nil, refuse("Unknown patron.")
	}
	amount, ok := parseMoney(req.FeeAmount)
	if !ok || amount <= 0 {
		return nil, refuse("Invalid amount.")
	}
	if amount > s.owed(p) {
		return nil, refuse("Amount exceeds the fees owed.")
	}
	var left []Fine
	for _, f := range p.Fines {
		if amount > 0 && (req.FeeID == "" || req.FeeID == f.ID) {
			pay := min(amount, f.Amount)
			f.Amount -= pay
			amount -= pay
		}
		if f.Amount > 0 {
			left = append(left, f)
		}
	}
	if amount > 0 {
		return nil, refuse("Amount exceeds that fee.")
	}
	p.Fines = left
	s.b.payments++
	return &sip2.FeePaidResponse{PaymentAccepted: true, InstitutionID: s.acct.Institution, PatronID: p.ID,
		TransactionID: req.TransactionID, ScreenMessage: []string{"Payment accepted. Remaining: " + money(s.owed(p))}}, nil
}
