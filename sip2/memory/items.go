package memory

import (
	"context"
	"sort"
	"time"

	"github.com/illgw/illgw/sip2"
)

func sortStrings(s []string) { sort.Strings(s) }

var time0 time.Time

func (b *Backend) maxRenewals() int {
	if b.MaxRenewals > 0 {
		return b.MaxRenewals
	}
	return 3
}

func (b *Backend) loanPeriod() time.Duration {
	if b.LoanPeriod > 0 {
		return b.LoanPeriod
	}
	return 14 * 24 * time.Hour
}

// Checkout implements sip2.Session. Checking out an item the patron already
// has renews it, as ILSes do.
func (s *Session) Checkout(_ context.Context, req *sip2.Checkout) (*sip2.CheckoutResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	p, pinOK := s.patron(req.PatronID, req.PatronPassword)
	switch it := s.b.items[req.ItemID]; {
	case p == nil:
		return nil, refuse("Unknown patron.")
	case !pinOK:
		return nil, refuse("Wrong PIN.")
	case p.Status.Has(sip2.ChargeDenied) && !req.NoBlock:
		return nil, refuse("Your account is blocked. Please ask staff.")
	case it == nil:
		return nil, refuse("Unknown item.")
	case it.ChargedTo != "" && it.ChargedTo != p.ID && !req.NoBlock:
		return nil, refuse("This item is checked out to someone else.")
	case len(it.Holds) > 0 && it.Holds[0] != p.ID && !req.NoBlock:
		return nil, refuse("This item is on hold for another patron.")
	default:
		renewal := it.ChargedTo == p.ID
		if renewal {
			if it.Renewals >= s.b.maxRenewals() {
				return nil, refuse("No more renewals allowed.")
			}
			it.Renewals++
		} else {
			it.Checkouts++
			it.Renewals = 0
			if len(it.Holds) > 0 && it.Holds[0] == p.ID {
				it.Holds = it.Holds[1:]
			}
		}
		it.ChargedTo = p.ID
		it.Due = s.b.now().Add(s.b.loanPeriod())
		if !req.NbDueDate.IsZero() && req.NoBlock {
			it.Due = req.NbDueDate // an offline checkout replayed with its due date
		}
		return &sip2.CheckoutResponse{OK: true, RenewalOK: renewal, MagneticMedia: 'N', Desensitize: 'Y',
			InstitutionID: s.acct.Institution, PatronID: p.ID, ItemID: it.ID, TitleID: it.Title,
			DueDate: sip2.FormatTimestamp(it.Due, nil, false), MediaType: it.MediaType}, nil
	}
}

// Checkin implements sip2.Session. An item with holds raises the alert and
// names the next patron (3M extensions CV, CY, DA).
func (s *Session) Checkin(_ context.Context, req *sip2.Checkin) (*sip2.CheckinResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	it := s.b.items[req.ItemID]
	if it == nil {
		return nil, refuse("Unknown item.")
	}
	r := &sip2.CheckinResponse{OK: true, Resensitize: true, MagneticMedia: 'N', InstitutionID: s.acct.Institution,
		ItemID: it.ID, PermanentLocation: it.Location, TitleID: it.Title, PatronID: it.ChargedTo, MediaType: it.MediaType}
	if it.ChargedTo == "" {
		r.ScreenMessage = []string{"Item was not checked out."}
	} else {
		it.Checkins++
	}
	it.ChargedTo, it.Due, it.Renewals = "", time0, 0
	if len(it.Holds) > 0 {
		r.Alert, r.AlertType, r.HoldPatronID = true, sip2.AlertHoldHere, it.Holds[0]
		if h := s.b.patrons[it.Holds[0]]; h != nil {
			r.HoldPatronName = h.Name
		}
		r.Resensitize = true
	}
	return r, nil
}

// ItemInformation implements sip2.ItemInformer.
func (s *Session) ItemInformation(_ context.Context, req *sip2.ItemInformation) (*sip2.ItemInformationResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	it := s.b.items[req.ItemID]
	if it == nil {
		return &sip2.ItemInformationResponse{CirculationStatus: sip2.CirculationOther, SecurityMarker: sip2.SecurityOther,
			FeeType: sip2.FeeOther, ItemID: req.ItemID, ScreenMessage: []string{"Unknown item."}}, nil
	}
	r := &sip2.ItemInformationResponse{CirculationStatus: sip2.CirculationAvailable, SecurityMarker: sip2.SecurityTattleTape,
		FeeType: sip2.FeeOther, ItemID: it.ID, TitleID: it.Title, Owner: it.Owner, MediaType: it.MediaType,
		PermanentLocation: it.Location, CurrentLocation: it.Location, ItemProperties: it.Properties,
		HoldQueueLength: itoa(len(it.Holds))}
	if it.ChargedTo != "" {
		r.CirculationStatus, r.DueDate = sip2.CirculationCharged, sip2.FormatTimestamp(it.Due, nil, false)
	} else if len(it.Holds) > 0 {
		r.CirculationStatus = sip2.CirculationOnHoldShelf
	}
	return r, nil
}

// ItemStatusUpdate implements sip2.ItemStatusUpdater: CH replaces the item
// properties.
func (s *Session) ItemStatusUpdate(_ context.Context, req *sip2.ItemStatusUpdate) (*sip2.ItemStatusUpdateResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	it := s.b.items[req.ItemID]
	if it == nil {
		return nil, refuse("Unknown item.")
	}
	it.Properties = req.ItemProperties
	return &sip2.ItemStatusUpdateResponse{ItemPropertiesOK: true, ItemID: it.ID, TitleID: it.Title, ItemProperties: it.Properties}, nil
}

// Hold implements sip2.Holder: mode '+' queues the patron for the item,
// '-' removes them, '*' changes the pickup location.
func (s *Session) Hold(_ context.Context, req *sip2.Hold) (*sip2.HoldResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	p, pinOK := s.patron(req.PatronID, req.PatronPassword)
	it := s.b.items[req.ItemID]
	switch {
	case p == nil:
		return nil, refuse("Unknown patron.")
	case !pinOK:
		return nil, refuse("Wrong PIN.")
	case it == nil:
		return nil, refuse("Unknown item.")
	case p.Status.Has(sip2.HoldDenied):
		return nil, refuse("Holds are blocked on your account.")
	}
	pos := -1
	for i, h := range it.Holds {
		if h == p.ID {
			pos = i
		}
	}
	switch req.HoldMode {
	case '+':
		if pos < 0 {
			it.Holds = append(it.Holds, p.ID)
			pos = len(it.Holds) - 1
		}
	case '-':
		if pos < 0 {
			return nil, refuse("No such hold.")
		}
		it.Holds = append(it.Holds[:pos], it.Holds[pos+1:]...)
		return &sip2.HoldResponse{OK: true, InstitutionID: s.acct.Institution, PatronID: p.ID, ItemID: it.ID,
			TitleID: it.Title, ScreenMessage: []string{"Hold cancelled."}}, nil
	case '*':
		if pos < 0 {
			return nil, refuse("No such hold.")
		}
	default:
		return nil, refuse("Unknown hold mode.")
	}
	if it.HoldPickups == nil {
		it.HoldPickups = map[string]string{}
	}
	if req.PickupLocation != "" {
		it.HoldPickups[p.ID] = req.PickupLocation
	}
	return &sip2.HoldResponse{OK: true, Available: it.ChargedTo == "" && pos == 0, InstitutionID: s.acct.Institution,
		PatronID: p.ID, ItemID: it.ID, TitleID: it.Title, QueuePosition: itoa(pos + 1), PickupLocation: it.HoldPickups[p.ID],
		ExpirationDate: req.ExpirationDate}, nil
}

// Renew implements sip2.Renewer.
func (s *Session) Renew(_ context.Context, req *sip2.Renew) (*sip2.RenewResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	p, pinOK := s.patron(req.PatronID, req.PatronPassword)
	it := s.b.items[req.ItemID]
	switch {
	case p == nil:
		return nil, refuse("Unknown patron.")
	case !pinOK:
		return nil, refuse("Wrong PIN.")
	case it == nil || it.ChargedTo != p.ID:
		return nil, refuse("You do not have this item.")
	}
	if msg := s.b.renew(it, p); msg != "" {
		return nil, refuse(msg)
	}
	return &sip2.RenewResponse{OK: true, RenewalOK: true, MagneticMedia: 'N', Desensitize: 'Y', InstitutionID: s.acct.Institution,
		PatronID: p.ID, ItemID: it.ID, TitleID: it.Title, DueDate: sip2.FormatTimestamp(it.Due, nil, false), MediaType: it.MediaType}, nil
}

// renew extends one loan or says why not; callers hold b.mu.
func (b *Backend) renew(it *Item, p *Patron) string {
	switch {
	case p.Status.Has(sip2.RenewalDenied):
		return "Renewals are blocked on your account."
	case len(it.Holds) > 0:
		return "Another patron is waiting for this item."
	case it.Renewals >= b.maxRenewals():
		return "No more renewals allowed."
	}
	it.Renewals++
	it.Due = b.now().Add(b.loanPeriod())
	return ""
}

// RenewAll implements sip2.AllRenewer.
func (s *Session) RenewAll(_ context.Context, req *sip2.RenewAll) (*sip2.RenewAllResponse, error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	p, pinOK := s.patron(req.PatronID, req.PatronPassword)
	switch {
	case p == nil:
		return nil, refuse("Unknown patron.")
	case !pinOK:
		return nil, refuse("Wrong PIN.")
	}
	r := &sip2.RenewAllResponse{OK: true, InstitutionID: s.acct.Institution}
	for _, it := range s.b.sortedItems() {
		if it.ChargedTo != p.ID {
			continue
		}
		if s.b.renew(it, p) == "" {
			r.RenewedItems = append(r.RenewedItems, it.ID)
		} else {
			r.UnrenewedItems = append(r.UnrenewedItems, it.ID)
		}
	}
	r.RenewedCount, r.UnrenewedCount = sip2.Count(len(r.RenewedItems)), sip2.Count(len(r.UnrenewedItems))
	return r, nil
}
