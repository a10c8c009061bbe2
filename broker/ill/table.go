package ill

import "slices"

// The transition tables are data: one row per state, one entry per event
// the state accepts. A pair that is not listed is refused with a
// *NotAllowedError; there is no default. table_test.go holds the same
// tables written out as grids for review and fails on any difference.

// move says how a rule picks the next state.
type move uint8

const (
	moveTo   move = iota // to rule.to
	moveBack             // back to Loan.Before (renew and cancel answers)
	moveNext             // to the next lender on the rota (Sent), or EndOfRota when none is left
)

// effSpec is one effect a rule emits, before Apply fills in members, items
// and dates.
type effSpec struct {
	kind  EffectKind
	party Party
	// unlessILS drops the effect when the member's ILS already did the step
	// (Event.FromILS, or a SIP2 kiosk whose checkout went to the ILS).
	unlessILS bool
	// ifDue drops the effect while the loan has no due date.
	ifDue bool
}

func req(k EffectKind) effSpec    { return effSpec{kind: k, party: AtRequester} }
func lender(k EffectKind) effSpec { return effSpec{kind: k, party: AtLender} }
func broker(k EffectKind) effSpec { return effSpec{kind: k, party: AtBroker} }

func (s effSpec) unlessNotified() effSpec { s.unlessILS = true; return s }
func (s effSpec) whenDue() effSpec        { s.ifDue = true; return s }

// rule is the outcome of one (state, event) pair of the requester machine.
type rule struct {
	to   State
	move move
	// sup is the event the current lender's side sees; 0 leaves it alone.
	sup SupplierEvent
	// before, when set, is remembered in Loan.Before for moveBack.
	before State
	fx     []effSpec
}

func fx(s ...effSpec) []effSpec { return s }

// Effects shared by several rows.
var (
	leaveLender = fx(broker(DisarmLenderTimer), lender(CancelRequestItem).unlessNotified())
	timeoutFx   = fx(lender(CancelRequestItem))
	shipFx      = fx(broker(DisarmLenderTimer), lender(CheckOutItem).unlessNotified(), broker(ArmDueTimer).whenDue())
	returnFx    = fx(req(CheckInItem).unlessNotified(), broker(DisarmDueTimer))
	recallFx    = fx(req(RecallItem), broker(ArmDueTimer).whenDue())
	overdueFx   = fx(req(NotifyRequester))
	lostFx      = fx(req(FiscalTransaction), req(DeleteItem), broker(DisarmDueTimer))
	renewAskFx  = fx(lender(RenewItem))
)

// requesterTable is the requester machine (ncip-ill.md §3.1 R1-R17, with
// the lender steps of §3.2 that move it).
var requesterTable = map[State]map[EventKind]rule{
	New: {
		PatronValid:     {to: Validated, fx: fx(broker(LocateLenders))},
		PatronInvalid:   {to: InvalidPatron, fx: fx(req(NotifyRequester))},
		CancelRequested: {to: Cancelled},
	},
	InvalidPatron: {
		PatronOverride:  {to: Validated, fx: fx(broker(LocateLenders))},
		CancelRequested: {to: Cancelled},
	},
	Validated: {
		RotaBuilt:       {move: moveNext},
		CancelRequested: {to: Cancelled},
	},
	Sent: {
		LenderWillSupply: {to: WillSupply, sup: SupWill},
		LenderUnfilled:   {move: moveNext, sup: SupUnfilled, fx: leaveLender},
		LenderCancelled:  {move: moveNext, sup: SupCancel, fx: leaveLender},
		LenderTimeout:    {move: moveNext, sup: SupTimeout, fx: timeoutFx},
		LenderError:      {move: moveNext, sup: SupFail, fx: leaveLender},
		ItemShipped:      {to: Shipped, sup: SupShip, fx: shipFx},
		CancelRequested:  {to: CancelPending, before: Sent, fx: fx(lender(CancelRequestItem))},
	},
	WillSupply: {
		LenderUnfilled:  {move: moveNext, sup: SupUnfilled, fx: leaveLender},
		LenderCancelled: {move: moveNext, sup: SupCancel, fx: leaveLender},
		LenderTimeout:   {move: moveNext, sup: SupTimeout, fx: timeoutFx},
		LenderError:     {move: moveNext, sup: SupFail, fx: leaveLender},
		ItemShipped:     {to: Shipped, sup: SupShip, fx: shipFx},
		CancelRequested: {to: CancelPending, before: WillSupply, fx: fx(lender(CancelRequestItem))},
	},
	CancelPending: {
		CancelConfirmed: {to: Cancelled, sup: SupCancel, fx: fx(broker(DisarmLenderTimer), req(NotifyRequester))},
		CancelDenied:    {move: moveBack},
		// A lender that ships before it sees the cancel is still accepted
		// (ncip-ill.md §3.3: "A late Loaned after cancellation must still
		// be accepted").
		ItemShipped:     {to: Shipped, sup: SupShip, fx: shipFx},
		LenderUnfilled:  {to: Cancelled, sup: SupUnfilled, fx: fx(broker(DisarmLenderTimer))},
		LenderCancelled: {to: Cancelled, sup: SupCancel, fx: fx(broker(DisarmLenderTimer))},
		LenderTimeout:   {to: Cancelled, sup: SupTimeout},
	},
	Shipped: {
		ItemReceived: {to: Received, sup: SupReceive, fx: fx(req(AcceptItem), broker(ArmDueTimer).whenDue())},
		DueDateSet:   {to: Shipped},
		ItemLost:     {to: Lost, sup: SupLost, fx: fx(broker(DisarmDueTimer), req(NotifyRequester))},
	},
	Received: {
		PatronCheckedOut: {to: CheckedOut, fx: fx(req(CheckOutItem).unlessNotified())},
		PatronCheckedIn:  {to: CheckedIn, fx: returnFx},
		DueDateSet:       {to: Received, fx: fx(broker(ArmDueTimer).whenDue())},
		ItemOverdue:      {to: Overdue, sup: SupOverdue, fx: overdueFx},
		ItemRecalled:     {to: Recalled, sup: SupRecall, fx: recallFx},
		ItemLost:         {to: Lost, sup: SupLost, fx: fx(req(DeleteItem), broker(DisarmDueTimer))},
	},
	CheckedOut: {
		RenewRequested:  {to: RenewPending, before: CheckedOut, fx: renewAskFx},
		PatronCheckedIn: {to: CheckedIn, fx: returnFx},
		DueDateSet:      {to: CheckedOut, fx: fx(broker(ArmDueTimer).whenDue())},
		ItemOverdue:     {to: Overdue, sup: SupOverdue, fx: overdueFx},
		ItemRecalled:    {to: Recalled, sup: SupRecall, fx: recallFx},
		ItemLost:        {to: Lost, sup: SupLost, fx: lostFx},
	},
	RenewPending: {
		RenewGranted:    {to: CheckedOut, sup: SupRenew, fx: fx(req(RenewItem), broker(ArmDueTimer).whenDue())},
		RenewDenied:     {move: moveBack, fx: fx(req(NotifyRequester))},
		DueDateSet:      {to: RenewPending},
		ItemOverdue:     {to: RenewPending, sup: SupOverdue, before: Overdue, fx: overdueFx},
		ItemRecalled:    {to: Recalled, sup: SupRecall, fx: recallFx},
		PatronCheckedIn: {to: CheckedIn, fx: returnFx},
		ItemLost:        {to: Lost, sup: SupLost, fx: lostFx},
	},
	Overdue: {
		RenewRequested:   {to: RenewPending, before: Overdue, fx: renewAskFx},
		PatronCheckedOut: {to: Overdue, fx: fx(req(CheckOutItem).unlessNotified())},
		PatronCheckedIn:  {to: CheckedIn, fx: returnFx},
		DueDateSet:       {to: Overdue},
		ItemRecalled:     {to: Recalled, sup: SupRecall, fx: recallFx},
		ItemLost:         {to: Lost, sup: SupLost, fx: lostFx},
	},
	Recalled: {
		PatronCheckedOut: {to: Recalled, fx: fx(req(CheckOutItem).unlessNotified())},
		PatronCheckedIn:  {to: CheckedIn, fx: returnFx},
		DueDateSet:       {to: Recalled, fx: fx(broker(ArmDueTimer).whenDue())},
		ItemOverdue:      {to: Overdue, sup: SupOverdue, fx: overdueFx},
		ItemLost:         {to: Lost, sup: SupLost, fx: lostFx},
	},
	CheckedIn: {
		ReturnShipped: {to: ShippedReturn, sup: SupShipReturn, fx: fx(req(DeleteItem))},
		// The lender may check the item in before the requester records
		// shipping it back.
		LenderCheckedIn: {to: Completed, sup: SupCheckIn, fx: fx(req(DeleteItem), lender(CheckInItem).unlessNotified(), req(NotifyRequester))},
		ItemLost:        {to: Lost, sup: SupLost, fx: fx(req(DeleteItem))},
	},
	ShippedReturn: {
		LenderCheckedIn: {to: Completed, sup: SupCheckIn, fx: fx(lender(CheckInItem).unlessNotified(), req(NotifyRequester))},
		ItemLost:        {to: Lost, sup: SupLost},
	},
	Completed: {
		Anonymise: {to: Completed},
	},
	Unfilled: {
		Anonymise: {to: Unfilled},
	},
	EndOfRota: {
		RotaRetry:       {to: Validated, fx: fx(broker(LocateLenders))},
		CancelRequested: {to: Cancelled},
		Anonymise:       {to: EndOfRota},
	},
	Cancelled: {
		Anonymise: {to: Cancelled},
	},
	Lost: {
		// A lost item that turns up and reaches the lender closes the loan.
		LenderCheckedIn: {to: Completed, sup: SupCheckIn, fx: fx(lender(CheckInItem).unlessNotified())},
		Anonymise:       {to: Lost},
	},
}

// supplierTable is one lender's machine (ncip-ill.md §3.2 S1-S16).
var supplierTable = map[SupplierState]map[SupplierEvent]SupplierState{
	Candidate: {SupAsk: Asked},
	Asked: {
		SupWill: SupplierWill, SupUnfilled: SupplierUnfill, SupCancel: SupplierCancel,
		SupTimeout: TimedOut, SupFail: Skipped, SupShip: SupplierShip,
	},
	SupplierWill: {
		SupUnfilled: SupplierUnfill, SupCancel: SupplierCancel,
		SupTimeout: TimedOut, SupFail: Skipped, SupShip: SupplierShip,
	},
	SupplierShip: {SupReceive: SupplierRecv, SupLost: SupplierLost},
	SupplierRecv: {
		SupOverdue: SupplierOver, SupRecall: SupplierRecall, SupRenew: SupplierRecv,
		SupShipReturn: SupplierReturn, SupCheckIn: SupplierDone, SupLost: SupplierLost,
	},
	SupplierOver: {
		SupOverdue: SupplierOver, SupRecall: SupplierRecall, SupRenew: SupplierRecv,
		SupShipReturn: SupplierReturn, SupCheckIn: SupplierDone, SupLost: SupplierLost,
	},
	SupplierRecall: {
		SupOverdue: SupplierOver, SupShipReturn: SupplierReturn,
		SupCheckIn: SupplierDone, SupLost: SupplierLost,
	},
	SupplierReturn: {SupCheckIn: SupplierDone, SupLost: SupplierLost},
	SupplierLost:   {SupCheckIn: SupplierDone},
	SupplierDone:   {},
	SupplierUnfill: {},
	TimedOut:       {},
	SupplierCancel: {},
	Skipped:        {},
}

// side says whose member an event comes from.
type side uint8

const (
	sideNone side = iota
	sideRequester
	sideLender
	sideEither
)

// eventRules says, per event kind, which actors may cause it and which
// member it comes from.
var eventRules = map[EventKind]struct {
	actors []ActorKind
	side   side
}{
	PatronValid:      {actors(ActorSystem, ActorMember), sideRequester},
	PatronInvalid:    {actors(ActorSystem, ActorMember), sideRequester},
	PatronOverride:   {actors(ActorOperator), sideNone},
	RotaBuilt:        {actors(ActorSystem, ActorOperator), sideNone},
	LenderWillSupply: {actors(ActorMember, ActorPartner, ActorOperator), sideLender},
	LenderUnfilled:   {actors(ActorMember, ActorPartner, ActorOperator, ActorSystem), sideLender},
	LenderCancelled:  {actors(ActorMember, ActorPartner, ActorOperator), sideLender},
	LenderTimeout:    {actors(ActorSystem), sideLender},
	LenderError:      {actors(ActorSystem), sideLender},
	ItemShipped:      {actors(ActorMember, ActorPartner, ActorOperator), sideLender},
	DueDateSet:       {actors(ActorMember, ActorPartner, ActorOperator, ActorSystem), sideLender},
	ItemReceived:     {actors(ActorMember, ActorPartner, ActorOperator), sideRequester},
	PatronCheckedOut: {actors(ActorTerminal, ActorMember, ActorOperator), sideRequester},
	RenewRequested:   {actors(ActorTerminal, ActorMember, ActorPartner, ActorOperator), sideRequester},
	RenewGranted:     {actors(ActorMember, ActorPartner, ActorOperator, ActorSystem), sideLender},
	RenewDenied:      {actors(ActorMember, ActorPartner, ActorOperator, ActorSystem), sideLender},
	ItemOverdue:      {actors(ActorSystem, ActorMember, ActorPartner, ActorOperator), sideLender},
	ItemRecalled:     {actors(ActorMember, ActorPartner, ActorOperator), sideLender},
	PatronCheckedIn:  {actors(ActorTerminal, ActorMember, ActorOperator), sideRequester},
	ReturnShipped:    {actors(ActorMember, ActorPartner, ActorOperator), sideRequester},
	LenderCheckedIn:  {actors(ActorMember, ActorPartner, ActorOperator), sideLender},
	CancelRequested:  {actors(ActorMember, ActorPartner, ActorOperator), sideRequester},
	CancelConfirmed:  {actors(ActorSystem, ActorMember, ActorPartner, ActorOperator), sideLender},
	CancelDenied:     {actors(ActorSystem, ActorMember, ActorPartner, ActorOperator), sideLender},
	ItemLost:         {actors(ActorMember, ActorPartner, ActorOperator), sideEither},
	RotaRetry:        {actors(ActorOperator), sideNone},
	Anonymise:        {actors(ActorSystem, ActorOperator), sideNone},
}

func actors(a ...ActorKind) []ActorKind { return a }

// Allowed lists, in numeric order, the events the requester table lets a
// loan in state s take (for illctl and the gRPC API to offer only the
// actions that can succeed). It is nil for an undefined state.
func Allowed(s State) []EventKind {
	var out []EventKind
	for _, k := range EventKinds() {
		if _, ok := requesterTable[s][k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// Actors lists the actor kinds that may cause an event of kind k.
func Actors(k EventKind) []ActorKind {
	return slices.Clone(eventRules[k].actors)
}
