// Package adapter implements the ncip Handler over the broker's gRPC
// services (issue 7 point 5): the NCIP front end of the gateway. Each NCIP
// request a partner's ILL system or a member's ILS sends becomes calls on
// the Circulation and Loans services, tagged with the "illgw-protocol: ncip"
// metadata, and their answers become the NCIP response.
//
//   - LookupUser, LookupItem: Circulation.MemberPatron and MemberItem at the
//     member named by ToAgencyId (its ILS, or its LDAP directory for patrons).
//   - RequestItem: Loans.Create for the member the sender acts for.
//   - LookupRequest, CancelRequestItem, RenewItem and the notifications
//     ItemShipped, ItemReceived, ItemCheckedIn, ItemRequestCancelled,
//     ItemRenewed: Loans.Get and Loans.Act with the sender as actor.
//
// Problem maps every broker error onto the NCIP Problem of the service.
// The adapter imports ncip and proto only: it may run in the gateway's
// process or against a remote broker.
package adapter
