package adapter

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/ncip"
)

func TestProblem(t *testing.T) {
	const general = "generalprocessingerror.scm"
	for _, c := range []struct {
		service string
		subject Subject
		code    codes.Code
		want    string
		scheme  string // suffix
		element string
	}{
		{"LookupUser", SubjectUser, codes.NotFound, ncip.ProblemUnknownUser, "lookupuserprocessingerror.scm", "UserIdentifierValue"},
		{"LookupItem", SubjectItem, codes.NotFound, ncip.ProblemUnknownItem, "lookupitemprocessingerror.scm", "ItemIdentifierValue"},
		{"CancelRequestItem", SubjectRequest, codes.NotFound, ncip.ProblemUnknownRequest, "cancelrequestitemprocessingerror.scm", "RequestIdentifierValue"},
		{"RenewItem", SubjectItem, codes.NotFound, ncip.ProblemUnknownItem, "renewitemprocessingerror.scm", "ItemIdentifierValue"},
		{"LookupUser", SubjectAgency, codes.NotFound, ncip.ProblemUnknownAgency, general, "ToAgencyId"},
		{"LookupUser", SubjectUser, codes.PermissionDenied, ncip.ProblemUserAuthenticationFailed, "lookupuserprocessingerror.scm", "UserIdentifierValue"},
		{"RequestItem", SubjectUser, codes.PermissionDenied, ncip.ProblemUserBlocked, "requestitemprocessingerror.scm", "UserIdentifierValue"},
		{"RequestItem", SubjectAgency, codes.PermissionDenied, ncip.ProblemUnauthorizedServiceForAgency, general, ""},
		{"ItemShipped", SubjectRequest, codes.PermissionDenied, ncip.ProblemUnauthorizedCombinationOfElementValuesForAgency, general, "RequestIdentifierValue"},
		{"LookupUser", SubjectAgency, codes.Unauthenticated, ncip.ProblemAgencyAuthenticationFailed, general, "InitiationHeader/FromAgencyAuthentication"},
		{"RenewItem", SubjectUser, codes.Unauthenticated, ncip.ProblemUserAuthenticationFailed, "renewitemprocessingerror.scm", "UserIdentifierValue"},
		{"RequestItem", SubjectUser, codes.AlreadyExists, ncip.ProblemDuplicateRequest, "requestitemprocessingerror.scm", "UserIdentifierValue"},
		{"RenewItem", SubjectItem, codes.FailedPrecondition, ncip.ProblemItemNotRenewable, "renewitemprocessingerror.scm", "ItemIdentifierValue"},
		{"CancelRequestItem", SubjectRequest, codes.FailedPrecondition, ncip.ProblemRequestAlreadyProcessed, "cancelrequestitemprocessingerror.scm", "RequestIdentifierValue"},
		{"RequestItem", SubjectUser, codes.FailedPrecondition, ncip.ProblemUnauthorizedServiceForAgency, general, ""},
		{"ItemReceived", SubjectItem, codes.FailedPrecondition, ncip.ProblemUnauthorizedCombinationOfElementValuesForAgency, general, "ItemIdentifierValue"},
		{"LookupItem", SubjectItem, codes.InvalidArgument, ncip.ProblemElementRuleViolated, "lookupitemprocessingerror.scm", "ItemIdentifierValue"},
		{"LookupUser", SubjectUser, codes.Unimplemented, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"CancelRequestItem", SubjectRequest, codes.Unimplemented, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"LookupUser", SubjectUser, codes.Unavailable, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"LookupUser", SubjectUser, codes.DeadlineExceeded, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"LookupUser", SubjectUser, codes.ResourceExhausted, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"ItemShipped", SubjectRequest, codes.Aborted, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"LookupUser", SubjectUser, codes.Internal, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"LookupUser", SubjectUser, codes.Unknown, ncip.ProblemTemporaryProcessingFailure, general, ""},
		{"LookupUser", SubjectUser, codes.DataLoss, ncip.ProblemTemporaryProcessingFailure, general, ""},
	} {
		p := Problem(c.service, c.subject, "V1", status.Error(c.code, "broker: secret internals at /var/lib"))
		if p.Type.Value != c.want || !strings.HasSuffix(p.Type.Scheme, c.scheme) || p.Element != c.element {
			t.Errorf("%s %v %v = %q %q %q; want %q %q %q", c.service, c.subject, c.code, p.Type.Value, p.Type.Scheme, p.Element, c.want, c.scheme, c.element)
		}
		if c.element != "" && c.subject != SubjectAgency && p.Value != "V1" {
			t.Errorf("%s %v: ProblemValue %q, want the id asked about", c.service, c.code, p.Value)
		}
		if (c.code == codes.Internal || c.code == codes.Unknown || c.code == codes.DataLoss) && strings.Contains(p.Detail, "internals") {
			t.Errorf("%v passes the broker's message on: %q", c.code, p.Detail)
		}
		if strings.HasPrefix(p.Detail, "broker: ") {
			t.Errorf("detail keeps the package prefix: %q", p.Detail)
		}
	}
	// "required" in an INVALID_ARGUMENT message is Needed Data Missing.
	if p := Problem("RequestItem", SubjectUser, "", status.Error(codes.InvalidArgument, "broker: patron_id is required")); p.Type.Value != ncip.ProblemNeededDataMissing {
		t.Errorf("required field: %q", p.Type.Value)
	}
	// A non-gRPC error is a Temporary Processing Failure without its text.
	if p := Problem("LookupUser", SubjectUser, "", errors.New("dial tcp 10.0.0.1:443: refused")); p.Type.Value != ncip.ProblemTemporaryProcessingFailure || strings.Contains(p.Detail, "10.0.0.1") {
		t.Errorf("plain error: %+v", p)
	}
}
