package ill

import (
	"errors"
	"strings"
	"testing"

	illgwv1 "github.com/illgw/illgw/proto/illgw/v1"
)

// roundTrip checks String/Parse for every value of one enumeration and that
// the names are distinct, lower-case and hyphenated.
func roundTrip[T comparable](t *testing.T, what string, all []T, str func(T) string, parse func(string) (T, error)) {
	t.Helper()
	seen := map[string]bool{}
	for _, v := range all {
		name := str(v)
		if seen[name] {
			t.Errorf("%s name %q used twice", what, name)
		}
		seen[name] = true
		if name == "" || len(name) > maxNameLen || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz-.ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Errorf("%s name %q is not a plain stable name", what, name)
		}
		got, err := parse(name)
		if err != nil || got != v {
			t.Errorf("parse %s %q = %v, %v; want %v", what, name, got, err, v)
		}
	}
	for _, bad := range []string{"", "NEW", " new", "new ", "checked_out", strings.Repeat("a", 10_000), "\x00"} {
		if _, err := parse(bad); !errors.Is(err, ErrUnknownName) {
			t.Errorf("parse %s %q: err %v, want ErrUnknownName", what, truncate(bad, 20), err)
		} else if len(err.Error()) > 200 {
			t.Errorf("parse %s error echoes a long input: %d bytes", what, len(err.Error()))
		}
	}
}

func TestNamesRoundTrip(t *testing.T) {
	roundTrip(t, "state", States(), State.String, ParseState)
	roundTrip(t, "supplier state", SupplierStates(), SupplierState.String, ParseSupplierState)
	roundTrip(t, "event", EventKinds(), EventKind.String, ParseEventKind)
	roundTrip(t, "supplier event", SupplierEvents(), SupplierEvent.String, ParseSupplierEvent)
	roundTrip(t, "actor", ActorKinds(), ActorKind.String, ParseActorKind)
	roundTrip(t, "effect", EffectKinds(), EffectKind.String, ParseEffectKind)
	roundTrip(t, "service level", []ServiceLevel{Normal, Rush, Express}, ServiceLevel.String, ParseServiceLevel)
	if len(States()) != 19 || len(SupplierStates()) != 14 || len(EventKinds()) != 27 {
		t.Errorf("%d states, %d supplier states, %d events", len(States()), len(SupplierStates()), len(EventKinds()))
	}
}

// TestStableNames pins the names that are stored and sent over gRPC; a
// renamed state would strand stored loans.
func TestStableNames(t *testing.T) {
	want := "new validated sent will-supply shipped received checked-out renew-pending overdue recalled " +
		"checked-in shipped-return completed unfilled end-of-rota cancel-pending cancelled lost invalid-patron"
	var got []string
	for _, s := range States() {
		got = append(got, s.String())
	}
	if g := strings.Join(got, " "); g != want {
		t.Errorf("state names\n got %s\nwant %s", g, want)
	}
	if s := State(0).String(); s != "State(0)" {
		t.Errorf("State(0) = %q", s)
	}
	if s := SupplierState(200).String(); s != "SupplierState(200)" {
		t.Errorf("SupplierState(200) = %q", s)
	}
}

func TestTextMarshal(t *testing.T) {
	for _, s := range States() {
		b, err := s.MarshalText()
		var back State
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Errorf("%v: %s %v %v", s, b, err, back)
		}
	}
	for _, s := range SupplierStates() {
		b, err := s.MarshalText()
		var back SupplierState
		if err != nil || back.UnmarshalText(b) != nil || back != s {
			t.Errorf("%v: %s %v %v", s, b, err, back)
		}
	}
	if _, err := State(0).MarshalText(); err == nil {
		t.Error("State(0) marshalled")
	}
	if _, err := SupplierState(99).MarshalText(); err == nil {
		t.Error("SupplierState(99) marshalled")
	}
	s := Sent
	if err := s.UnmarshalText([]byte("bogus")); err == nil || s != Sent {
		t.Errorf("UnmarshalText(bogus) = %v, left %v", err, s)
	}
}

// protoName is the proto enum value name for a stable name:
// "will-supply" -> PREFIX_WILL_SUPPLY.
func protoName(prefix, name string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// TestProtoEnums checks that states and service levels have the numbers
// and names of the gRPC API's enums, so the broker converts with a cast.
func TestProtoEnums(t *testing.T) {
	for _, s := range States() {
		if got, want := illgwv1.LoanState_name[int32(s)], protoName("LOAN_STATE_", s.String()); got != want {
			t.Errorf("state %d %s: proto has %q, want %q", s, s, got, want)
		}
	}
	if n := len(illgwv1.LoanState_name) - 1; n != len(States()) {
		t.Errorf("proto LoanState has %d states, this package %d", n, len(States()))
	}
	for _, s := range SupplierStates() {
		got, want := illgwv1.SupplierState_name[int32(s)], protoName("SUPPLIER_STATE_", s.String())
		if s == SupplierLost && got == "" {
			t.Logf("proto SupplierState has no %s = %d yet", want, s)
			continue
		}
		if got != want {
			t.Errorf("supplier state %d %s: proto has %q, want %q", s, s, got, want)
		}
	}
	for _, l := range []ServiceLevel{Normal, Rush, Express} {
		if got, want := illgwv1.ServiceLevel_name[int32(l)], protoName("SERVICE_LEVEL_", l.String()); got != want {
			t.Errorf("service level %d: proto has %q, want %q", l, got, want)
		}
	}
}

func TestAllowedAndActors(t *testing.T) {
	got := Allowed(Completed)
	if len(got) != 1 || got[0] != Anonymise {
		t.Errorf("Allowed(completed) = %v", got)
	}
	if got := Allowed(0); got != nil {
		t.Errorf("Allowed(0) = %v", got)
	}
	for _, s := range States() {
		for _, k := range Allowed(s) {
			if _, err := ParseEventKind(k.String()); err != nil {
				t.Errorf("Allowed(%s) has %v", s, k)
			}
		}
	}
	a := Actors(LenderTimeout)
	if len(a) != 1 || a[0] != ActorSystem {
		t.Errorf("Actors(lender-timeout) = %v", a)
	}
	a[0] = ActorTerminal // a copy: the table is not changed
	if Actors(LenderTimeout)[0] != ActorSystem {
		t.Error("Actors returns the table's own slice")
	}
}
