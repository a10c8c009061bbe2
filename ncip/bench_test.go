package ncip

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkServerLookupUser measures the NCIP part of a LookupUser through
// the gateway: read, decode, authenticate, call an in-memory handler,
// check and encode, without the network. make bench-ncip measures the whole
// gateway.
func BenchmarkServerLookupUser(b *testing.B) {
	h := NewMemory("NORTH")
	h.AddUser(MemoryUser{ID: "N0001", PIN: "1234", GivenName: "Ann", Surname: "North", Email: "ann@example.org"})
	s := &Server{Handler: h, Auth: &Partners{Secrets: map[string]string{"PARTNER1": "partner1secret"}}}
	body := []byte(`<NCIPMessage xmlns="http://www.niso.org/2008/ncip" xmlns:ncip="http://www.niso.org/2008/ncip" ncip:version="http://www.niso.org/schemas/ncip/v2_02/ncip_v2_02.xsd"><LookupUser>
 <InitiationHeader><FromAgencyId><AgencyId>PARTNER1</AgencyId></FromAgencyId>
  <FromAgencyAuthentication>partner1secret</FromAgencyAuthentication>
  <ToAgencyId><AgencyId>NORTH</AgencyId></ToAgencyId></InitiationHeader>
 <AuthenticationInput><AuthenticationInputData>N0001</AuthenticationInputData>
  <AuthenticationDataFormatType>text/plain</AuthenticationDataFormatType>
  <AuthenticationInputType>Barcode Id</AuthenticationInputType></AuthenticationInput>
 <AuthenticationInput><AuthenticationInputData>1234</AuthenticationInputData>
  <AuthenticationDataFormatType>text/plain</AuthenticationDataFormatType>
  <AuthenticationInputType>PIN</AuthenticationInputType></AuthenticationInput>
 <UserElementType>Name Information</UserElementType></LookupUser></NCIPMessage>`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/ncip", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/xml")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte("<UserId>")) {
			b.Fatalf("HTTP %d: %s", w.Code, w.Body.Bytes())
		}
	}
}
