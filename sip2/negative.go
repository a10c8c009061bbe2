package sip2

// Negative responses: what the Server sends when a Session refuses or fails
// a request, or does not implement it. Each echoes the request's
// identifiers, says no in the response's own terms (ok 0, valid patron N,
// ...) and carries the screen message, so the terminal always gets a valid
// SIP message (reference/sip2.md §6.5).

func lines(e *Error) (af, ag []string) {
	af = []string{e.ScreenMessage}
	if e.PrintLine != "" {
		ag = []string{e.PrintLine}
	}
	return af, ag
}

func patronStatusFailed(inst, patron string, e *Error) *PatronStatusResponse {
	af, ag := lines(e)
	return &PatronStatusResponse{PatronStatus: AllDenied, InstitutionID: inst, PatronID: patron,
		ValidPatron: No, ScreenMessage: af, PrintLine: ag}
}

func patronInfoFailed(req *PatronInformation, e *Error) *PatronInformationResponse {
	af, ag := lines(e)
	return &PatronInformationResponse{PatronStatus: AllDenied, Language: req.Language,
		InstitutionID: req.InstitutionID, PatronID: req.PatronID, ValidPatron: No, ScreenMessage: af, PrintLine: ag}
}

func checkoutFailed(req *Checkout, e *Error) *CheckoutResponse {
	af, ag := lines(e)
	return &CheckoutResponse{MagneticMedia: 'U', Desensitize: 'N', InstitutionID: req.InstitutionID,
		PatronID: req.PatronID, ItemID: req.ItemID, ScreenMessage: af, PrintLine: ag}
}

func checkinFailed(req *Checkin, e *Error) *CheckinResponse {
	af, ag := lines(e)
	return &CheckinResponse{MagneticMedia: 'U', Alert: true, InstitutionID: req.InstitutionID,
		ItemID: req.ItemID, ScreenMessage: af, PrintLine: ag}
}

func endSessionFailed(req *EndPatronSession, e *Error) *EndSessionResponse {
	af, ag := lines(e)
	return &EndSessionResponse{InstitutionID: req.InstitutionID, PatronID: req.PatronID, ScreenMessage: af, PrintLine: ag}
}

func feePaidFailed(req *FeePaid, e *Error) *FeePaidResponse {
	af, ag := lines(e)
	return &FeePaidResponse{InstitutionID: req.InstitutionID, PatronID: req.PatronID,
		TransactionID: req.TransactionID, ScreenMessage: af, PrintLine: ag}
}

func itemInfoFailed(req *ItemInformation, e *Error) *ItemInformationResponse {
	af, ag := lines(e)
	return &ItemInformationResponse{CirculationStatus: CirculationOther, SecurityMarker: SecurityOther,
		FeeType: FeeOther, ItemID: req.ItemID, ScreenMessage: af, PrintLine: ag}
}

func itemStatusFailed(req *ItemStatusUpdate, e *Error) *ItemStatusUpdateResponse {
	af, ag := lines(e)
	return &ItemStatusUpdateResponse{ItemID: req.ItemID, ScreenMessage: af, PrintLine: ag}
}

func patronEnableFailed(req *PatronEnable, e *Error) *PatronEnableResponse {
	af, ag := lines(e)
	return &PatronEnableResponse{PatronStatus: AllDenied, InstitutionID: req.InstitutionID,
		PatronID: req.PatronID, ValidPatron: No, ScreenMessage: af, PrintLine: ag}
}

func holdFailed(req *Hold, e *Error) *HoldResponse {
	af, ag := lines(e)
	return &HoldResponse{InstitutionID: req.InstitutionID, PatronID: req.PatronID, ItemID: req.ItemID,
		TitleID: req.TitleID, ScreenMessage: af, PrintLine: ag}
}

func renewFailed(req *Renew, e *Error) *RenewResponse {
	af, ag := lines(e)
	return &RenewResponse{MagneticMedia: 'U', Desensitize: 'N', InstitutionID: req.InstitutionID,
		PatronID: req.PatronID, ItemID: req.ItemID, TitleID: req.TitleID, ScreenMessage: af, PrintLine: ag}
}

func renewAllFailed(req *RenewAll, e *Error) *RenewAllResponse {
	af, ag := lines(e)
	return &RenewAllResponse{InstitutionID: req.InstitutionID, ScreenMessage: af, PrintLine: ag}
}
