package loan

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/illgw/illgw/broker/ill"
	"github.com/illgw/illgw/broker/state"
)

// Limits on a stored loan, checked when it is decoded and before it is
// written, so a corrupt or hostile record cannot make the engine allocate
// without bound.
const (
	formatVersion = 1
	maxOutbox     = 256 // pending calls of one loan
	maxApplied    = 64  // idempotency keys remembered per loan
	maxKeyLen     = 128 // idempotency keys
	maxTextLen    = 2048
	maxRecordLen  = 256 << 10 // a MARC record in Bib.Record
)

// ErrCorrupt is returned (wrapped) when a stored loan does not decode.
var ErrCorrupt = errors.New("loan: stored loan does not decode")

// Bib is what a loan asks for: identifiers, a description or a MARC record.
type Bib struct {
	Title, Author, ISBN, ISSN, LCCN, OCLC, Date string `json:",omitempty"`
	// ItemID is a specific copy's barcode, when the requester knows it.
	ItemID string `json:",omitempty"`
	// Record is a MARC21 record (ISO 2709) describing the item.
	Record []byte `json:",omitempty"`
}

// Call is one effect of a transition waiting to be performed: an NCIP call
// at a member's ILS or a catalogue search. Key is unique within the loan;
// the call's outcome is kept under it, so it is made once however often it
// is retried.
type Call struct {
	Key    string
	Effect ill.Effect
	// Attempts counts the runs that ended in failure.
	Attempts int `json:",omitempty"`
	// Failed is set when the last run failed; Error says why.
	Failed bool   `json:",omitempty"`
	Error  string `json:",omitempty"`
	// NextAt is when the call is run (again) by a timer: the recovery time
	// of a pending call, the automatic retry of a failed one. Zero on a
	// failed call means it waits for staff (Engine.Retry or Engine.Skip).
	NextAt time.Time `json:",omitzero"`
}

// Record is a loan as the engine stores it: the lifecycle's view (ill.Loan)
// and what the broker keeps beside it.
type Record struct {
	Format int
	Loan   ill.Loan `json:"-"`
	// Stored is Loan as it is stored (ill.State has no name for zero).
	Stored storedLoan `json:"Loan"`
	Bib    Bib
	// ExternalID is the partner's or ILS's own request id.
	ExternalID     string    `json:",omitempty"`
	PickupLocation string    `json:",omitempty"`
	Note           string    `json:",omitempty"`
	NeedBefore     time.Time `json:",omitzero"`
	// CreatedBy is the actor that created the loan.
	CreatedBy Actor
	// Outbox holds the calls still to be made, in order.
	Outbox []Call `json:",omitempty"`
	// Seq numbers the calls: each call's key is "c<Seq>".
	Seq int `json:",omitempty"`
	// Applied are the idempotency keys of the last actions applied.
	Applied []string `json:",omitempty"`
	// LenderTimer and DueTimer say whether the lender's deadline and the
	// due date are armed (ill's timer effects).
	LenderTimer bool `json:",omitempty"`
	DueTimer    bool `json:",omitempty"`
	// LenderRequests maps a lender to the request id its ILS gave the
	// RequestItem, used to cancel it.
	LenderRequests map[string]string `json:",omitempty"`
	// Flag is a problem an actor reported (Engine.Flag), until the loan
	// next changes state or staff clear it.
	Flag *Flag `json:",omitempty"`
	// Version is the store's version of the record; not stored.
	Version uint64 `json:"-"`
	// Partition is the store partition; not stored.
	Partition int `json:"-"`
}

// ID is the loan id.
func (r *Record) ID() string { return r.Loan.ID }

// TemporaryItem is the barcode of the item the requester's ILS makes for
// the loan (ill.TemporaryBarcode).
func (r *Record) TemporaryItem() string { return ill.TemporaryBarcode(r.Loan.ID) }

// HasFailedCall reports whether an NCIP call of the loan failed and waits
// for staff (retry-calls or skip-call).
func (r *Record) HasFailedCall() bool {
	for _, c := range r.Outbox {
		if c.Failed {
			return true
		}
	}
	return false
}

// Problem says why the loan waits for staff: the first failed call, else
// the flag an actor set (Engine.Flag) with who set it, or "".
func (r *Record) Problem() string {
	for _, c := range r.Outbox {
		if c.Failed {
			return fmt.Sprintf("%s at %s failed (%d attempts): %s", c.Effect.Kind, c.Effect.Member, c.Attempts, c.Error)
		}
	}
	if f := r.Flag; f != nil {
		who := f.Actor.String()
		if f.Actor.Member != "" {
			who += "@" + f.Actor.Member
		}
		return "flagged by " + who + ": " + f.Message
	}
	return ""
}

// clone returns a deep copy of r.
func (r *Record) clone() *Record {
	c := *r
	c.Loan = r.Loan.Clone()
	c.Bib.Record = slices.Clone(r.Bib.Record)
	c.Outbox = slices.Clone(r.Outbox)
	c.Applied = slices.Clone(r.Applied)
	if r.Flag != nil {
		f := *r.Flag
		c.Flag = &f
	}
	if r.LenderRequests != nil {
		c.LenderRequests = make(map[string]string, len(r.LenderRequests))
		for k, v := range r.LenderRequests {
			c.LenderRequests[k] = v
		}
	}
	return &c
}

// encode marshals r after checking its limits.
func (r *Record) encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	r.Format = formatVersion
	r.Stored = toStored(r.Loan)
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("loan: encoding %s: %w", r.Loan.ID, err)
	}
	if len(b) > state.MaxDataLen {
		return nil, fmt.Errorf("loan: %s is %d bytes encoded, more than %d", r.Loan.ID, len(b), state.MaxDataLen)
	}
	return b, nil
}

// Decode reads a loan as the store holds it (for listings that read the
// store's pages directly).
func Decode(s state.Loan) (*Record, error) { return decode(s) }

// decode reads a stored loan. The store already bounds the data to
// state.MaxDataLen; the lists inside are checked here.
func decode(s state.Loan) (*Record, error) {
	if len(s.Data) > state.MaxDataLen {
		return nil, fmt.Errorf("%w: %s: %d bytes", ErrCorrupt, s.ID, len(s.Data))
	}
	r := &Record{}
	if err := json.Unmarshal(s.Data, r); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, s.ID, err)
	}
	if r.Format != formatVersion {
		return nil, fmt.Errorf("%w: %s: format %d, want %d", ErrCorrupt, s.ID, r.Format, formatVersion)
	}
	l, err := r.Stored.loan()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, s.ID, err)
	}
	r.Loan, r.Stored = l, storedLoan{}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, s.ID, err)
	}
	if r.Loan.ID != s.ID {
		return nil, fmt.Errorf("%w: %s holds loan %q", ErrCorrupt, s.ID, truncate(r.Loan.ID, 20))
	}
	r.Version, r.Partition = s.Version, s.Partition
	return r, nil
}

// check enforces the limits of a record.
func (r *Record) check() error {
	switch {
	case len(r.Outbox) > maxOutbox:
		return fmt.Errorf("loan: %d pending calls, more than %d", len(r.Outbox), maxOutbox)
	case len(r.Loan.Rota) > ill.MaxRota:
		return fmt.Errorf("loan: rota of %d, more than %d", len(r.Loan.Rota), ill.MaxRota)
	case len(r.Applied) > maxApplied:
		return fmt.Errorf("loan: %d idempotency keys, more than %d", len(r.Applied), maxApplied)
	case len(r.LenderRequests) > ill.MaxRota:
		return fmt.Errorf("loan: %d lender requests, more than %d", len(r.LenderRequests), ill.MaxRota)
	case len(r.Bib.Record) > maxRecordLen:
		return fmt.Errorf("loan: bibliographic record of %d bytes, more than %d", len(r.Bib.Record), maxRecordLen)
	case r.Flag != nil && (len(r.Flag.Message) > maxTextLen || len(r.Flag.Actor.ID) > maxKeyLen || len(r.Flag.Actor.Member) > maxKeyLen):
		return fmt.Errorf("loan: flag message or actor too long")
	case !r.Loan.State.Valid():
		return fmt.Errorf("loan: state %d is not defined", r.Loan.State)
	}
	return nil
}

// remember adds an idempotency key, dropping the oldest beyond maxApplied.
func (r *Record) remember(key string) {
	if key == "" {
		return
	}
	r.Applied = append(r.Applied, key)
	if n := len(r.Applied) - maxApplied; n > 0 {
		r.Applied = slices.Delete(r.Applied, 0, n)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// storedLoan is ill.Loan with the states as names and an empty Before
// left out.
type storedLoan struct {
	ID, Requester string
	Patron        string `json:",omitempty"`
	Level         ill.ServiceLevel
	State         ill.State
	Before        string       `json:",omitempty"`
	Rota          []ill.Lender `json:",omitempty"`
	Lender        string       `json:",omitempty"`
	DueDate       time.Time    `json:",omitzero"`
	Reason        string       `json:",omitempty"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	FinishedAt    time.Time `json:",omitzero"`
	Anonymised    bool      `json:",omitempty"`
}

func toStored(l ill.Loan) storedLoan {
	s := storedLoan{ID: l.ID, Requester: l.Requester, Patron: l.Patron, Level: l.Level, State: l.State,
		Rota: l.Rota, Lender: l.Lender, DueDate: l.DueDate, Reason: l.Reason, CreatedAt: l.CreatedAt,
		UpdatedAt: l.UpdatedAt, FinishedAt: l.FinishedAt, Anonymised: l.Anonymised}
	if l.Before.Valid() {
		s.Before = l.Before.String()
	}
	return s
}

func (s storedLoan) loan() (ill.Loan, error) {
	l := ill.Loan{ID: s.ID, Requester: s.Requester, Patron: s.Patron, Level: s.Level, State: s.State,
		Rota: s.Rota, Lender: s.Lender, DueDate: s.DueDate, Reason: s.Reason, CreatedAt: s.CreatedAt,
		UpdatedAt: s.UpdatedAt, FinishedAt: s.FinishedAt, Anonymised: s.Anonymised}
	if s.Before != "" {
		b, err := ill.ParseState(s.Before)
		if err != nil {
			return l, err
		}
		l.Before = b
	}
	return l, nil
}
