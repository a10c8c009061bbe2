package ncip

import (
	"context"
	"errors"
	"reflect"
)

// Handler answers NCIP requests; the Server calls it once per request, after
// decoding and authentication, with a context that carries the request's
// deadline and the authenticated agency (AgencyFromContext). Every Handler
// answers LookupUser; the other services are add-on interfaces (LookupItemHandler,
// AcceptItemHandler, ...) that the Server discovers with a type assertion and
// answers with Unsupported Service when they are missing.
//
// A method returns either a response or an error. A *Problem error is sent
// in the service's response (NISO Z39.83-1-2012, data element "Problem"); any other error
// is logged and answered with Temporary Processing Failure. The Server fills
// in the ResponseHeader.
type Handler interface {
	// LookupUser answers NCIP 2.02 Part 1 "Lookup User".
	LookupUser(ctx context.Context, req *LookupUser) (*LookupUserResponse, error)
}

// LookupItemHandler is the add-on interface of a Handler that looks up an item (NCIP 2.02 LookupItem).
type LookupItemHandler interface {
	LookupItem(ctx context.Context, req *LookupItem) (*LookupItemResponse, error)
}

// LookupRequestHandler is the add-on interface of a Handler that looks up a request (NCIP 2.02 LookupRequest).
type LookupRequestHandler interface {
	LookupRequest(ctx context.Context, req *LookupRequest) (*LookupRequestResponse, error)
}

// LookupAgencyHandler is the add-on interface of a Handler that looks up an agency (NCIP 2.02 LookupAgency).
type LookupAgencyHandler interface {
	LookupAgency(ctx context.Context, req *LookupAgency) (*LookupAgencyResponse, error)
}

// RequestItemHandler is the add-on interface of a Handler that places a request (NCIP 2.02 RequestItem).
type RequestItemHandler interface {
	RequestItem(ctx context.Context, req *RequestItem) (*RequestItemResponse, error)
}

// CancelRequestItemHandler is the add-on interface of a Handler that cancels a request (NCIP 2.02 CancelRequestItem).
type CancelRequestItemHandler interface {
	CancelRequestItem(ctx context.Context, req *CancelRequestItem) (*CancelRequestItemResponse, error)
}

// RenewItemHandler is the add-on interface of a Handler that renews a loan (NCIP 2.02 RenewItem).
type RenewItemHandler interface {
	RenewItem(ctx context.Context, req *RenewItem) (*RenewItemResponse, error)
}

// RecallItemHandler is the add-on interface of a Handler that recalls an item (NCIP 2.02 RecallItem).
type RecallItemHandler interface {
	RecallItem(ctx context.Context, req *RecallItem) (*RecallItemResponse, error)
}

// AcceptItemHandler is the add-on interface of a Handler that creates a temporary item for an incoming loan (NCIP 2.02 AcceptItem).
type AcceptItemHandler interface {
	AcceptItem(ctx context.Context, req *AcceptItem) (*AcceptItemResponse, error)
}

// CheckOutItemHandler is the add-on interface of a Handler that checks an item out (NCIP 2.02 CheckOutItem).
type CheckOutItemHandler interface {
	CheckOutItem(ctx context.Context, req *CheckOutItem) (*CheckOutItemResponse, error)
}

// CheckInItemHandler is the add-on interface of a Handler that checks an item in (NCIP 2.02 CheckInItem).
type CheckInItemHandler interface {
	CheckInItem(ctx context.Context, req *CheckInItem) (*CheckInItemResponse, error)
}

// DeleteItemHandler is the add-on interface of a Handler that deletes an item (NCIP 2.02 DeleteItem).
type DeleteItemHandler interface {
	DeleteItem(ctx context.Context, req *DeleteItem) (*DeleteItemResponse, error)
}

// CreateUserFiscalTransactionHandler is the add-on interface of a Handler that charges or credits a user (NCIP 2.02 CreateUserFiscalTransaction).
type CreateUserFiscalTransactionHandler interface {
	CreateUserFiscalTransaction(ctx context.Context, req *CreateUserFiscalTransaction) (*CreateUserFiscalTransactionResponse, error)
}

// ItemShippedHandler is the add-on interface of a Handler that is told an item was shipped (NCIP 2.02 ItemShipped).
type ItemShippedHandler interface {
	ItemShipped(ctx context.Context, req *ItemShipped) (*ItemShippedResponse, error)
}

// ItemReceivedHandler is the add-on interface of a Handler that is told an item arrived (NCIP 2.02 ItemReceived).
type ItemReceivedHandler interface {
	ItemReceived(ctx context.Context, req *ItemReceived) (*ItemReceivedResponse, error)
}

// ItemCheckedOutHandler is the add-on interface of a Handler that is told of a checkout (NCIP 2.02 ItemCheckedOut).
type ItemCheckedOutHandler interface {
	ItemCheckedOut(ctx context.Context, req *ItemCheckedOut) (*ItemCheckedOutResponse, error)
}

// ItemCheckedInHandler is the add-on interface of a Handler that is told of a check-in (NCIP 2.02 ItemCheckedIn).
type ItemCheckedInHandler interface {
	ItemCheckedIn(ctx context.Context, req *ItemCheckedIn) (*ItemCheckedInResponse, error)
}

// ItemRequestCancelledHandler is the add-on interface of a Handler that is told a request was cancelled (NCIP 2.02 ItemRequestCancelled).
type ItemRequestCancelledHandler interface {
	ItemRequestCancelled(ctx context.Context, req *ItemRequestCancelled) (*ItemRequestCancelledResponse, error)
}

// ItemRenewedHandler is the add-on interface of a Handler that is told of a renewal (NCIP 2.02 ItemRenewed).
type ItemRenewedHandler interface {
	ItemRenewed(ctx context.Context, req *ItemRenewed) (*ItemRenewedResponse, error)
}

// errUnsupported is returned by dispatch when h lacks the service.
var errUnsupported = errors.New("ncip: unsupported service")

// call runs one handler method and turns a nil response into an error.
func call[Req Request, Resp Response](ctx context.Context, req Req, f func(context.Context, Req) (Resp, error)) (Response, error) {
	resp, err := f(ctx, req)
	if err != nil {
		return nil, err
	}
	if v := reflect.ValueOf(resp); !v.IsValid() || v.IsNil() {
		return nil, errors.New("ncip: handler returned neither a response nor an error")
	}
	return resp, nil
}

// dispatch calls the method of h for req, or returns errUnsupported.
func dispatch(ctx context.Context, h Handler, req Request) (Response, error) {
	switch r := req.(type) {
	case *LookupUser:
		return call(ctx, r, h.LookupUser)
	case *LookupItem:
		if x, ok := h.(LookupItemHandler); ok {
			return call(ctx, r, x.LookupItem)
		}
	case *LookupRequest:
		if x, ok := h.(LookupRequestHandler); ok {
			return call(ctx, r, x.LookupRequest)
		}
	case *LookupAgency:
		if x, ok := h.(LookupAgencyHandler); ok {
			return call(ctx, r, x.LookupAgency)
		}
	case *RequestItem:
		if x, ok := h.(RequestItemHandler); ok {
			return call(ctx, r, x.RequestItem)
		}
	case *CancelRequestItem:
		if x, ok := h.(CancelRequestItemHandler); ok {
			return call(ctx, r, x.CancelRequestItem)
		}
	case *RenewItem:
		if x, ok := h.(RenewItemHandler); ok {
			return call(ctx, r, x.RenewItem)
		}
	case *RecallItem:
		if x, ok := h.(RecallItemHandler); ok {
			return call(ctx, r, x.RecallItem)
		}
	case *AcceptItem:
		if x, ok := h.(AcceptItemHandler); ok {
			return call(ctx, r, x.AcceptItem)
		}
	case *CheckOutItem:
		if x, ok := h.(CheckOutItemHandler); ok {
			return call(ctx, r, x.CheckOutItem)
		}
	case *CheckInItem:
		if x, ok := h.(CheckInItemHandler); ok {
			return call(ctx, r, x.CheckInItem)
		}
	case *DeleteItem:
		if x, ok := h.(DeleteItemHandler); ok {
			return call(ctx, r, x.DeleteItem)
		}
	case *CreateUserFiscalTransaction:
		if x, ok := h.(CreateUserFiscalTransactionHandler); ok {
			return call(ctx, r, x.CreateUserFiscalTransaction)
		}
	case *ItemShipped:
		if x, ok := h.(ItemShippedHandler); ok {
			return call(ctx, r, x.ItemShipped)
		}
	case *ItemReceived:
		if x, ok := h.(ItemReceivedHandler); ok {
			return call(ctx, r, x.ItemReceived)
		}
	case *ItemCheckedOut:
		if x, ok := h.(ItemCheckedOutHandler); ok {
			return call(ctx, r, x.ItemCheckedOut)
		}
	case *ItemCheckedIn:
		if x, ok := h.(ItemCheckedInHandler); ok {
			return call(ctx, r, x.ItemCheckedIn)
		}
	case *ItemRequestCancelled:
		if x, ok := h.(ItemRequestCancelledHandler); ok {
			return call(ctx, r, x.ItemRequestCancelled)
		}
	case *ItemRenewed:
		if x, ok := h.(ItemRenewedHandler); ok {
			return call(ctx, r, x.ItemRenewed)
		}
	}
	return nil, errUnsupported
}

// Services returns the names of the services h answers, LookupUser first.
func Services(h Handler) []string {
	names := []string{"LookupUser"}
	if _, ok := h.(LookupItemHandler); ok {
		names = append(names, "LookupItem")
	}
	if _, ok := h.(LookupRequestHandler); ok {
		names = append(names, "LookupRequest")
	}
	if _, ok := h.(LookupAgencyHandler); ok {
		names = append(names, "LookupAgency")
	}
	if _, ok := h.(RequestItemHandler); ok {
		names = append(names, "RequestItem")
	}
	if _, ok := h.(CancelRequestItemHandler); ok {
		names = append(names, "CancelRequestItem")
	}
	if _, ok := h.(RenewItemHandler); ok {
		names = append(names, "RenewItem")
	}
	if _, ok := h.(RecallItemHandler); ok {
		names = append(names, "RecallItem")
	}
	if _, ok := h.(AcceptItemHandler); ok {
		names = append(names, "AcceptItem")
	}
	if _, ok := h.(CheckOutItemHandler); ok {
		names = append(names, "CheckOutItem")
	}
	if _, ok := h.(CheckInItemHandler); ok {
		names = append(names, "CheckInItem")
	}
	if _, ok := h.(DeleteItemHandler); ok {
		names = append(names, "DeleteItem")
	}
	if _, ok := h.(CreateUserFiscalTransactionHandler); ok {
		names = append(names, "CreateUserFiscalTransaction")
	}
	if _, ok := h.(ItemShippedHandler); ok {
		names = append(names, "ItemShipped")
	}
	if _, ok := h.(ItemReceivedHandler); ok {
		names = append(names, "ItemReceived")
	}
	if _, ok := h.(ItemCheckedOutHandler); ok {
		names = append(names, "ItemCheckedOut")
	}
	if _, ok := h.(ItemCheckedInHandler); ok {
		names = append(names, "ItemCheckedIn")
	}
	if _, ok := h.(ItemRequestCancelledHandler); ok {
		names = append(names, "ItemRequestCancelled")
	}
	if _, ok := h.(ItemRenewedHandler); ok {
		names = append(names, "ItemRenewed")
	}
	return names
}
