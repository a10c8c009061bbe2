package adapter

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/ncip"
)

// Subject is what a failed broker call was about, so that one status code
// becomes the NCIP problem that names the right thing: NOT_FOUND is Unknown
// User in a user lookup and Unknown Request in a cancellation.
type Subject int

// The subjects of broker calls.
const (
	SubjectUser    Subject = iota // a patron (UserId or AuthenticationInput)
	SubjectItem                   // an item (ItemId)
	SubjectRequest                // a loan (RequestId)
	SubjectAgency                 // the member or partner agency itself
)

// element is the ProblemElement of a subject.
func (s Subject) element() string {
	switch s {
	case SubjectUser:
		return "UserIdentifierValue"
	case SubjectItem:
		return "ItemIdentifierValue"
	case SubjectRequest:
		return "RequestIdentifierValue"
	}
	return "ToAgencyId"
}

// notFound is the Implementation Profile 1 "Unknown …" value of a subject.
func (s Subject) notFound() string {
	switch s {
	case SubjectUser:
		return ncip.ProblemUnknownUser
	case SubjectItem:
		return ncip.ProblemUnknownItem
	case SubjectRequest:
		return ncip.ProblemUnknownRequest
	}
	return ncip.ProblemUnknownAgency
}

// Problem maps a broker call's gRPC error onto the NCIP Problem answered
// for service (NCIP 2.02 Part 1 §"Problem"; Implementation Profile 1
// problem type schemes, reference/ncip-ill.md §1.5). The value is the
// identifier the request asked about; it goes into ProblemValue. A problem
// the broker cannot be blamed for (UNAVAILABLE, DEADLINE_EXCEEDED, ...) and
// a method the broker does not implement yet are Temporary Processing
// Failure: the partner may retry. The broker's own message is passed on
// only for codes where it describes the request, never for INTERNAL or
// UNKNOWN.
func Problem(service string, subject Subject, value string, err error) *ncip.Problem {
	st, _ := status.FromError(err)
	msg := strings.TrimPrefix(st.Message(), "broker: ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	sp := func(v string) *ncip.Problem { return ncip.NewServiceProblem(service, v, msg) }
	withSubject := func(p *ncip.Problem) *ncip.Problem { return p.WithElement(subject.element(), value) }
	switch st.Code() {
	case codes.NotFound:
		return withSubject(sp(subject.notFound()))
	case codes.PermissionDenied:
		switch {
		case subject == SubjectAgency:
			return sp(ncip.ProblemUnauthorizedServiceForAgency)
		case subject == SubjectUser && service == "LookupUser":
			return withSubject(sp(ncip.ProblemUserAuthenticationFailed))
		case subject == SubjectUser:
			return withSubject(sp(ncip.ProblemUserBlocked))
		}
		return withSubject(sp(ncip.ProblemUnauthorizedCombinationOfElementValuesForAgency))
	case codes.Unauthenticated:
		if subject == SubjectUser {
			return withSubject(sp(ncip.ProblemUserAuthenticationFailed))
		}
		return sp(ncip.ProblemAgencyAuthenticationFailed).WithElement("InitiationHeader/FromAgencyAuthentication", "")
	case codes.AlreadyExists:
		if service == "RequestItem" {
			return withSubject(sp(ncip.ProblemDuplicateRequest))
		}
		return withSubject(sp(ncip.ProblemUnauthorizedCombinationOfElementValuesForAgency))
	case codes.FailedPrecondition:
		switch service {
		case "RenewItem":
			return withSubject(sp(ncip.ProblemItemNotRenewable))
		case "CancelRequestItem":
			return withSubject(sp(ncip.ProblemRequestAlreadyProcessed))
		case "RequestItem":
			return sp(ncip.ProblemUnauthorizedServiceForAgency)
		}
		return withSubject(sp(ncip.ProblemUnauthorizedCombinationOfElementValuesForAgency))
	case codes.InvalidArgument, codes.OutOfRange:
		if strings.Contains(msg, "required") || strings.Contains(msg, "empty") {
			return sp(ncip.ProblemNeededDataMissing)
		}
		return withSubject(sp(ncip.ProblemElementRuleViolated))
	case codes.Unimplemented:
		return ncip.NewProblem(ncip.ProblemTemporaryProcessingFailure, "the gateway cannot do this yet; try again later")
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted, codes.Canceled:
		return ncip.NewProblem(ncip.ProblemTemporaryProcessingFailure, msg)
	}
	return ncip.NewProblem(ncip.ProblemTemporaryProcessingFailure, "the request could not be processed; try again later")
}
