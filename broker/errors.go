package broker

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/illgw/illgw/broker/state"
)

const codeNotFound = codes.NotFound

// errorf returns a gRPC status error with a message prefixed "broker: ".
func errorf(c codes.Code, format string, args ...any) error {
	return status.Error(c, "broker: "+fmt.Sprintf(format, args...))
}

// storeError maps a state store error onto a gRPC status. Store messages
// name keys and limits, never secrets, so they are passed on.
func storeError(what string, err error) error {
	switch {
	case errors.Is(err, state.ErrNotFound):
		return errorf(codes.NotFound, "%s not found", what)
	case errors.Is(err, state.ErrConflict):
		return errorf(codes.Aborted, "%s changed meanwhile: %v", what, err)
	case errors.Is(err, state.ErrExists):
		return errorf(codes.AlreadyExists, "%s already exists", what)
	case errors.Is(err, state.ErrInvalid):
		return errorf(codes.InvalidArgument, "%s: %v", what, err)
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(codes.DeadlineExceeded, "%s: state store did not answer in time", what)
	case errors.Is(err, context.Canceled):
		return errorf(codes.Canceled, "%s: request cancelled", what)
	case errors.Is(err, state.ErrUnavailable):
		return errorf(codes.Unavailable, "%s: state store unavailable: %v", what, err)
	}
	return errorf(codes.Internal, "%s: %v", what, err)
}
