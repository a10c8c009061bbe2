// Package loan is the broker's loan engine: it drives interlibrary loans
// through the lifecycle of package ill over the state store and makes the
// NCIP calls of each step at the members' library systems (DESIGN.md "The
// broker"; issue 8 points 2, 3, 6, 7 and 9; reference/ncip-ill.md §3).
//
// Every transition is one store write: the engine reads the loan, applies
// the event with ill.Policy.Apply, and writes the new loan under
// compare-and-set on its version together with the event (naming its
// actor), the loan's next timer and a dedup key (state.Store.Apply). The
// effects of the transition are stored in the same write, in the loan's
// outbox, and performed after it: NCIP calls at the right member through
// broker/member (each behind the member's breaker), each under a key of its
// own so that a retry never repeats it. The result of each call is kept in
// a TTL entry before the loan is updated, and the update that removes the
// call from the outbox also records its outcome as an event and applies the
// lifecycle event it implies (a LookupUser answer validates the patron, a
// CheckOutItem answer sets the due date, a RequestItem failure moves to the
// next lender). A call that keeps failing stays in the outbox, marked
// failed with the reason; Engine.Retry runs it again and Engine.Skip drops
// it once staff have done the step by hand.
//
// A loan has one timer in the store: the earliest of its pending calls'
// retry time, the current lender's deadline (per service level), its due
// date (overdue) and, once finished, its anonymisation time. Every instance
// runs Engine.Run, which claims due timers with state.Store.ClaimDue, so a
// timer fires on one instance only; what a timer does is derived from the
// loan itself, so a timer fired twice (after a sweep re-armed it) does
// nothing the second time. Run also sweeps the loans now and then for
// timers that an instance claimed and then died with.
package loan
