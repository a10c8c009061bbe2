package ncip

import (
	"context"
	"testing"
	"time"
)

// TestMemoryRules checks the Memory responder's answers that the HTTP tests
// do not reach: blocked users, renewal limits, loans in LookupUser.
func TestMemoryRules(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	m := newFixture()
	m.Now = func() time.Time { return now }
	m.MaxRenewals = 1

	lu, err := m.LookupUser(ctx, &LookupUser{UserID: &UserID{Value: "BLOCKED1"}})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "status", lu.UserOptionalFields.UserPrivileges[0].Status.Type.Value, "BLOCKED")
	eq(t, "block", lu.UserOptionalFields.BlockOrTraps[0].Type.Value, "Block Check Out")
	_, err = m.CheckOutItem(ctx, &CheckOutItem{UserID: &UserID{Value: "BLOCKED1"}, ItemID: &ItemID{Value: "39000001234567"}})
	eq(t, "scheme", problemOf(t, err, ProblemUserBlocked).Type.Scheme, SchemeCheckOutItemProcessingError)
	_, err = m.RequestItem(ctx, &RequestItem{UserID: &UserID{Value: "BLOCKED1"}, ItemIDs: []ItemID{{Value: "39000001234567"}}})
	eq(t, "scheme", problemOf(t, err, ProblemUserBlocked).Type.Scheme, SchemeRequestItemProcessingError)

	user, item := &UserID{Value: "21234000123456"}, &ItemID{Value: "39000001234567"}
	co, err := m.CheckOutItem(ctx, &CheckOutItem{UserID: user, ItemID: item})
	if err != nil {
		t.Fatal(err)
	}
	eqTime(t, "default due", co.DateDue, "2026-11-22T10:00:00Z")
	_, err = m.CheckOutItem(ctx, &CheckOutItem{UserID: &UserID{Value: "INST-REQLIB"}, ItemID: item})
	problemOf(t, err, ProblemResourceCannotBeProvided)

	lu, err = m.LookupUser(ctx, &LookupUser{UserID: user, LoanedItemsDesired: true})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "loans", len(lu.LoanedItems), 1)
	eq(t, "loan", lu.LoanedItems[0].ItemID.Value, "39000001234567")

	if _, err := m.RenewItem(ctx, &RenewItem{UserID: user, ItemID: item}); err != nil {
		t.Fatal(err)
	}
	_, err = m.RenewItem(ctx, &RenewItem{UserID: user, ItemID: item})
	eq(t, "scheme", problemOf(t, err, ProblemMaximumRenewalsExceeded).Type.Scheme, SchemeRenewItemProcessingError)

	_, err = m.AcceptItem(ctx, &AcceptItem{RequestID: &RequestID{Value: "X"}, RequestedActionType: SV("Circulate"), ItemID: item})
	problemOf(t, err, ProblemCannotAcceptItem)
	_, err = m.LookupUser(ctx, &LookupUser{AuthenticationInputs: []AuthenticationInput{{Data: "1234", Type: SV("PIN")}}})
	problemOf(t, err, ProblemNeededDataMissing)
	_, err = m.DeleteItem(ctx, &DeleteItem{ItemID: &ItemID{Value: "nope"}})
	problemOf(t, err, ProblemUnknownItem)
	eq(t, "services", len(Services(m)), 16)
	eq(t, "spy services", len(Services(&spy{})), 1)
}
