package ncip

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// eq fails the test when got != want, naming what was compared.
func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// addGoldenSeeds seeds a fuzz target with every golden message under
// testdata/*/, failing when there are none.
func addGoldenSeeds(f *testing.F) {
	f.Helper()
	paths, err := filepath.Glob("testdata/*/*.xml")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, p := range paths {
		f.Add(readTestdata(f, p[len("testdata/"):]))
	}
}

func decodeFile(t *testing.T, name string) *Message {
	t.Helper()
	m, err := Decode(readTestdata(t, name), Limits{})
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return m
}

func body[T Body](t *testing.T, m *Message) T {
	t.Helper()
	b, ok := m.Body.(T)
	if !ok {
		var zero T
		t.Fatalf("body is %T, want %T", m.Body, zero)
	}
	return b
}

func date(s string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return v
}

func eqTime(t *testing.T, what string, got DateTime, want string) {
	t.Helper()
	if !got.Equal(date(want)) {
		t.Errorf("%s = %v, want %s", what, got.Time, want)
	}
}

func eqSV(t *testing.T, what string, got SchemeValue, scheme, value string) {
	t.Helper()
	eq(t, what+".Scheme", got.Scheme, scheme)
	eq(t, what+".Value", got.Value, value)
}

func eqInit(t *testing.T, h *InitiationHeader, from, auth, to, profile string) {
	t.Helper()
	if h == nil {
		t.Fatal("InitiationHeader missing")
	}
	eq(t, "FromAgencyId", h.From(), from)
	eq(t, "FromAgencyAuthentication", h.FromAgencyAuthentication, auth)
	eq(t, "ToAgencyId", h.To(), to)
	eq(t, "ApplicationProfileType", h.ApplicationProfileType.Value, profile)
}

func eqResp(t *testing.T, h *ResponseHeader, from, to string) {
	t.Helper()
	if h == nil {
		t.Fatal("ResponseHeader missing")
	}
	eq(t, "ResponseHeader.FromAgencyId", h.FromAgencyID.id(), from)
	eq(t, "ResponseHeader.ToAgencyId", h.ToAgencyID.id(), to)
}

func eqUser(t *testing.T, u *UserID, agency, typ, value string) {
	t.Helper()
	if u == nil {
		t.Fatal("UserId missing")
	}
	eq(t, "UserId.AgencyId", u.AgencyID.Value, agency)
	eq(t, "UserId.UserIdentifierType", u.Type.Value, typ)
	eq(t, "UserId.UserIdentifierValue", u.Value, value)
}

func eqItem(t *testing.T, i *ItemID, agency, typ, value string) {
	t.Helper()
	if i == nil {
		t.Fatal("ItemId missing")
	}
	eq(t, "ItemId.AgencyId", i.AgencyID.Value, agency)
	eq(t, "ItemId.ItemIdentifierType", i.Type.Value, typ)
	eq(t, "ItemId.ItemIdentifierValue", i.Value, value)
}

func eqReq(t *testing.T, r *RequestID, agency, value string) {
	t.Helper()
	if r == nil {
		t.Fatal("RequestId missing")
	}
	eq(t, "RequestId.AgencyId", r.AgencyID.Value, agency)
	eq(t, "RequestId.RequestIdentifierValue", r.Value, value)
}

func eqProblem(t *testing.T, ps []Problem, i int, scheme, typ, detail, element, value string) {
	t.Helper()
	if len(ps) <= i {
		t.Fatalf("%d problems, want more than %d", len(ps), i)
	}
	p := ps[i]
	eqSV(t, "ProblemType", p.Type, scheme, typ)
	eq(t, "ProblemDetail", p.Detail, detail)
	eq(t, "ProblemElement", p.Element, element)
	eq(t, "ProblemValue", p.Value, value)
}
