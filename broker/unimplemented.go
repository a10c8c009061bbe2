package broker

import (
	"google.golang.org/grpc/codes"
)

// The services below are declared so clients see the whole API; each method
// answers UNIMPLEMENTED naming the issue that brings it.

func notYet(method, issue string) error {
	return errorf(codes.Unimplemented, "%s is not implemented yet: it comes with %s", method, issue)
}

const (
	issueLoans = "issue 8 (interlibrary loans end to end)"
)
