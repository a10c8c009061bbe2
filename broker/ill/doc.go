// Package ill is the interlibrary-loan lifecycle as a pure transition table,
// without I/O: no network, no store, no clock. Time comes in with each
// Event; the side effects of a transition (NCIP calls at a member's ILS,
// timers, notices) come out as data for the broker to perform after it has
// stored the transition (DESIGN.md "The broker", issue 8 points 1 and 2).
//
// A loan has a requester state and, per lender on its rota, a supplier
// state. Apply takes a requester event, moves the requester state by
// requesterTable and the current lender's state by supplierTable, and
// returns the effects. Every (state, event) pair not listed in a table is
// refused with a *NotAllowedError (or *SupplierNotAllowedError).
//
// Requester states and the steps of reference/ncip-ill.md §3.1 they stand
// for:
//
//	new             R1   created; effect ncip.LookupUser at the requester
//	validated       R2   patron in good standing; effect locate-lenders (R4)
//	invalid-patron  R2   LookupUser refused the patron; staff override or cancel
//	sent            R5   a lender asked: ncip.RequestItem at the lender for the
//	                     requester's institutional patron, lender timer armed
//	will-supply     R6   the lender will supply (S4)
//	shipped         R8   the lender shipped: ncip.CheckOutItem at the lender (S7)
//	received        R9   ncip.AcceptItem at the requester, temporary item ILL<id>
//	checked-out     R10  the patron has it (kiosk checkout, or ncip.CheckOutItem)
//	renew-pending   R11  ncip.RenewItem at the lender (S11); on yes at the requester
//	overdue         R12  past the due date (S9)
//	recalled        R12  the lender recalls (S10): ncip.RecallItem at the requester
//	checked-in      R13  the patron returned it: ncip.CheckInItem at the requester
//	shipped-return  R14  shipped back: ncip.DeleteItem at the requester (S12)
//	completed       R15  the lender checked it in: ncip.CheckInItem at the lender (S13)
//	unfilled        R7   a lender said the request is a duplicate (§3.3)
//	end-of-rota     R7   no lender left (§3.3 "End of rota"); staff may retry
//	cancel-pending  R16  ncip.CancelRequestItem at the lender (S15)
//	cancelled       R16  cancelled
//	lost            R17  lost: ncip.CreateUserFiscalTransaction at the requester
//
// Supplier states (§3.2): candidate (§3.3, on the rota), asked (S1/S4),
// will-supply (S4), shipped (S7), received (S8), overdue (S9), recalled
// (S10), shipped-return (S12), completed (S13), unfilled (S14), timed-out
// (S14 aging, §3.3), cancelled (S15), skipped (§3.3 messaging failure),
// lost (R17).
//
// Events: patron-valid, patron-invalid (R2); patron-override (R2 staff);
// rota-built (R4, then R5); lender-will-supply (R6/S4); lender-unfilled,
// lender-cancelled, lender-timeout, lender-error (R7/S14, §3.3 advance);
// shipped (R8/S7); due-date (S7 CheckOutItem DateDue, S11); received
// (R9/S8); checked-out (R10); renew-requested, renew-granted, renew-denied
// (R11/S11); overdue (R12/S9); recalled (R12/S10); checked-in (R13);
// shipped-return (R14/S12); lender-checked-in (R15/S13); cancel-requested,
// cancel-confirmed, cancel-denied (R16/S15); lost (R17); rota-retry (§3.3,
// ReShare REQ_REREQUESTED); anonymise (issue 8 point 9).
//
// Actors: member (a member's ILS or staff), partner (an outside ILL system
// acting for a member), terminal (a SIP2 kiosk), operator (consortium
// staff), system (the broker: timers and NCIP results). Each event kind
// names the actor kinds that may cause it and whether it must come from the
// requester or the current lender.
//
// Effects are performed in order after the transition is stored, each keyed
// so that a retry never repeats it. An effect the member's ILS already did
// (Event.FromILS, or a kiosk checkout that went to the ILS) is left out.
// Arming a timer replaces the loan's timer of the same kind; a timer fires
// as an event with the member it was armed for, and Apply refuses it when
// that member is no longer the current lender or the deadline has not come.
//
// BuildRota and NextLender are the rota rules of issue 8 point 2; Timeouts
// is the lender time-out per service level; ShortID and TemporaryBarcode
// make loan ids and temporary item barcodes from random bytes the broker
// supplies.
package ill
