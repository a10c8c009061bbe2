package loan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

// externalTTL is how long an external request id keeps pointing at its
// loan.
const externalTTL = 400 * 24 * time.Hour

// CreateRequest is a new loan (issue 8 point 2): a patron of the requesting
// member and what they ask for.
type CreateRequest struct {
	Requester string
	Patron    string
	Bib       Bib
	Level     ill.ServiceLevel
	// ExternalID makes Create idempotent per requester: a second Create
	// with the same id returns the first loan.
	ExternalID     string
	PickupLocation string
	Note           string
	NeedBefore     time.Time
	Actor          Actor
}

func (q *CreateRequest) check(e *Engine) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	m, ok := e.members[q.Requester]
	switch {
	case !ok:
		return bad("requester %q is not a configured member", truncate(q.Requester, ill.MaxCodeLen))
	case !m.Borrows:
		return bad("member %s does not borrow", q.Requester)
	case q.Patron == "" || len(q.Patron) > maxKeyLen:
		return bad("patron must be 1 to %d bytes", maxKeyLen)
	case q.Bib.Title == "" && q.Bib.ISBN == "" && q.Bib.ISSN == "" && q.Bib.LCCN == "" && q.Bib.OCLC == "" && q.Bib.ItemID == "" && len(q.Bib.Record) == 0:
		return bad("the bib is empty: give an identifier, a title or a record")
	case len(q.Bib.Record) > maxRecordLen:
		return bad("bib record of %d bytes, more than %d", len(q.Bib.Record), maxRecordLen)
	case !q.Actor.Kind.Valid():
		return bad("no actor")
	}
	for _, s := range []string{q.Bib.Title, q.Bib.Author, q.Note} {
		if len(s) > maxTextLen {
			return bad("a text field is longer than %d bytes", maxTextLen)
		}
	}
	for _, s := range []string{q.Bib.ISBN, q.Bib.ISSN, q.Bib.LCCN, q.Bib.OCLC, q.Bib.Date, q.Bib.ItemID, q.ExternalID, q.PickupLocation, q.Actor.ID, q.Actor.Member} {
		if len(s) > maxKeyLen {
			return bad("an identifier is longer than %d bytes", maxKeyLen)
		}
	}
	return nil
}

// Create stores a new loan in state new (R1) with its first call, the
// patron check at the requester (R2, NCIP LookupUser), and drives it as far
// as it goes: the rota built from the catalogue and the first lender asked
// (R4, R5).
func (e *Engine) Create(ctx context.Context, q CreateRequest) (*Record, error) {
	if err := e.begin(); err != nil {
		return nil, err
	}
	defer e.running.Done()
	if err := q.check(e); err != nil {
		return nil, err
	}
	id := newID()
	if q.ExternalID != "" {
		h := sha256.Sum256([]byte(q.Requester + "\x00" + q.ExternalID))
		key := "loanext:" + hex.EncodeToString(h[:16])
		var stored []byte
		err := e.retryStore(ctx, func(ctx context.Context) (err error) {
			stored, _, err = e.store.PutIfAbsent(ctx, key, []byte(id), externalTTL)
			return err
		})
		if err != nil {
			return nil, err
		}
		id = string(stored)
		if r, err := e.Get(ctx, id); err == nil {
			e.drive(ctx, id)
			return e.Get(ctx, r.Loan.ID)
		} else if !errors.Is(err, state.ErrNotFound) {
			return nil, err
		}
	}
	now := e.now()
	l, effects, err := ill.NewLoan(id, q.Requester, q.Patron, q.Level, now)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	rec := &Record{Loan: l, Bib: q.Bib, ExternalID: q.ExternalID, PickupLocation: q.PickupLocation, Note: q.Note,
		NeedBefore: q.NeedBefore, CreatedBy: q.Actor}
	evs := []Event{{Kind: KindCreated, Actor: q.Actor, To: l.State, Member: q.Requester}}
	evs = append(evs, e.enqueue(rec, effects, now)...)
	if _, err := e.write(ctx, rec, 0, evs, "create", now); err != nil {
		if errors.Is(err, state.ErrExists) && q.ExternalID == "" {
			return nil, fmt.Errorf("%w: loan id collision, try again", ErrBusy)
		}
		if !errors.Is(err, state.ErrExists) {
			return nil, err
		}
	}
	e.log.InfoContext(ctx, "loan created", "loan", id, "requester", q.Requester, "actor", q.Actor.String())
	e.drive(ctx, id)
	return e.Get(ctx, id)
}

// ActRequest is an event an actor reports on a loan: a lifecycle event
// (ill.EventKind), and what it carries.
type ActRequest struct {
	ID    string
	Event ill.EventKind
	Actor Actor
	// Member is the member the actor acts for; "" means Actor.Member, or
	// the actor's id for a member actor.
	Member string
	// FromILS says the member's ILS has made this step's NCIP call itself
	// (an NCIP notification), so the engine does not make it again.
	FromILS bool
	DueDate time.Time
	ItemID  string
	Reason  string
	// IdempotencyKey makes a retried action a no-op that returns the loan.
	IdempotencyKey string
	// ExpectedVersion, when not 0, makes the action fail with ErrVersion
	// unless the loan is at that version.
	ExpectedVersion uint64
}

// Act applies an event to a loan and makes the calls it leads to. An event
// the lifecycle does not allow in the loan's state comes back as the
// broker/ill error (*ill.NotAllowedError and the like).
func (e *Engine) Act(ctx context.Context, q ActRequest) (*Record, error) {
	if err := e.begin(); err != nil {
		return nil, err
	}
	defer e.running.Done()
	if !q.Event.Valid() || q.Event == ill.RotaBuilt {
		return nil, fmt.Errorf("%w: event %s cannot be asked for", ErrInvalid, q.Event)
	}
	if len(q.IdempotencyKey) > maxKeyLen || len(q.Reason) > ill.MaxReasonLen || len(q.ItemID) > ill.MaxItemLen || len(q.Member) > ill.MaxCodeLen {
		return nil, fmt.Errorf("%w: idempotency key, reason, item id or member too long", ErrInvalid)
	}
	member := q.Member
	if member == "" {
		member = q.Actor.Member
	}
	if member == "" && q.Actor.Kind == ill.ActorMember {
		member = q.Actor.ID
	}
	idem := q.IdempotencyKey
	_, _, err := e.update(ctx, q.ID, idemBase(idem), func(r *Record, now time.Time) ([]Event, error) {
		if idem != "" && slices.Contains(r.Applied, idem) {
			return nil, errNoop
		}
		if q.ExpectedVersion != 0 && r.Version != q.ExpectedVersion {
			return nil, fmt.Errorf("%w: loan %s is at version %d, not %d", ErrVersion, r.Loan.ID, r.Version, q.ExpectedVersion)
		}
		ev := ill.Event{Kind: q.Event, Actor: ill.Actor{Kind: q.Actor.Kind, ID: q.Actor.ID}, At: now, Member: member,
			FromILS: q.FromILS, DueDate: q.DueDate, ItemID: q.ItemID, Reason: q.Reason}
		evs, err := e.transition(r, ev, q.Actor, now, "")
		if err != nil {
			return nil, err
		}
		r.remember(idem)
		return evs, nil
	})
	if err != nil {
		return nil, err
	}
	e.drive(ctx, q.ID)
	return e.Get(ctx, q.ID)
}
