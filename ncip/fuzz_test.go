package ncip

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode, seeded from every golden
// message. Decode must never panic; whatever it accepts and the encoder
// writes must decode again to a message of the same service.
func FuzzDecode(f *testing.F) {
	addGoldenSeeds(f)
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><NCIPMessage/>`))
	f.Add([]byte(`<NCIPMessage><LookupUser><UserId><Scheme>s</Scheme><Value>v</Value></UserId></LookupUser></NCIPMessage>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, Limits{})
		if err != nil {
			if _, ok := err.(*Problem); !ok {
				t.Fatalf("error %T is not a *Problem", err)
			}
			return
		}
		out, err := Encode(m, EncodeOptions{})
		if err != nil {
			return // decoded leniently but not complete enough to write strictly
		}
		m2, err := Decode(out, Limits{MaxBytes: 4 * len(out)})
		if err != nil {
			t.Fatalf("encoder output does not decode: %v\n%s", err, out)
		}
		if (m.Body == nil) != (m2.Body == nil) || (m.Body != nil && m.Body.ServiceName() != m2.Body.ServiceName()) {
			t.Fatalf("service changed from %v to %v", m.Body, m2.Body)
		}
	})
}

// FuzzServer posts arbitrary bodies to a Server in front of a Memory
// responder: every answer must be an NCIP message the decoder reads back.
func FuzzServer(f *testing.F) {
	for _, name := range []string{"canonical/01-LookupUser-by-UserId.request.xml", "canonical/05-AcceptItem.request.xml",
		"folio-docs/checkOutItem.xml", "xc-ncip2-toolkit/RequestItemSample1.xml", "xc-ncip2-toolkit/LookupItemSample1.xml"} {
		f.Add(readTestdata(f, name))
	}
	s := &Server{Handler: newFixture(), Auth: canonicalPartners, Logger: quietLogger()}
	f.Fuzz(func(t *testing.T, data []byte) {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/ncip", bytes.NewReader(data)))
		if w.Code != http.StatusOK && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", w.Code)
		}
		if _, err := Decode(w.Body.Bytes(), Limits{}); err != nil {
			t.Fatalf("answer does not decode: %v\n%s", err, w.Body.Bytes())
		}
	})
}
