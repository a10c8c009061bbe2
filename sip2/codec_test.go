package sip2_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/illgw/illgw/sip2"
)

// vectors reads testdata/checksum-vectors.txt: the messages whose checksum
// verifies, and the published ones that do not (after the "Does NOT verify"
// comment).
func vectors(t testing.TB) (good, bad []string) {
	f, err := os.Open("testdata/checksum-vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inBad := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			if strings.Contains(line, "NOT verify") {
				inBad = true
			}
			continue
		}
		if line == "" {
			continue
		}
		if inBad {
			bad = append(bad, line)
		} else {
			good = append(good, line)
		}
	}
	return good, bad
}

func TestChecksumVectors(t *testing.T) {
	for in, want := range map[string]uint16{
		"97AZ": 0xFEF5, "96AZ": 0xFEF6, "9900302.00AY1AZ": 0xFCA5, "12345": 0xFF01, "teststring": 0xFBA9,
		"9300CNsip_01|COsip_01|CPMAIN|AY3AZ": 0xF565, "9910302.00AY4AZ": 0xFCA1,
		"09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZ": 0xEB80,
	} {
		if got := sip2.Checksum([]byte(in)); got != want {
			t.Errorf("Checksum(%q) = %04X, want %04X", in, got, want)
		}
	}
	good, bad := vectors(t)
	if len(good) < 10 || len(bad) != 1 {
		t.Fatalf("testdata: %d good, %d bad vectors", len(good), len(bad))
	}
	for _, v := range good {
		p, err := sip2.Codec{}.Decode([]byte(v))
		if err != nil {
			t.Errorf("Decode(%q): %v", v, err)
			continue
		}
		if !p.Checked {
			t.Errorf("Decode(%q): checksum not seen", v)
		}
		if i := strings.Index(v, "AY"); i >= 0 && i == len(v)-9 && p.Seq != int(v[i+2]-'0') {
			t.Errorf("Decode(%q): seq %d", v, p.Seq)
		}
		// Lowercase hex verifies too.
		low := v[:len(v)-4] + strings.ToLower(v[len(v)-4:])
		if _, err := (sip2.Codec{}).Decode([]byte(low)); err != nil {
			t.Errorf("lowercase checksum %q: %v", low, err)
		}
	}
	for _, v := range bad {
		if _, err := (sip2.Codec{}).Decode([]byte(v)); !errors.Is(err, sip2.ErrChecksum) {
			t.Errorf("Decode(%q) = %v, want ErrChecksum", v, err)
		}
	}
}

var utcCodec = sip2.Codec{Location: time.UTC, Charset: sip2.UTF8}

func ts(s string) time.Time {
	t, err := time.ParseInLocation("20060102150405", s, time.UTC)
	if err != nil {
		panic(err)
	}
	return t
}

// TestEncodeGolden checks encoded bytes against what real clients sent
// (reference/sip2.md §4.3, §4.4), checksums included.
func TestEncodeGolden(t *testing.T) {
	for _, tc := range []struct {
		m    sip2.Message
		seq  int
		want string
	}{
		{&sip2.Login{UIDAlgorithm: '0', PWDAlgorithm: '0', LoginUserID: "term1", LoginPassword: "secret", LocationCode: "MAIN"}, 0,
			"9300CNterm1|COsecret|CPMAIN|AY0AZF511"},
		{&sip2.Login{LoginUserID: "invalidsip_01", LoginPassword: "sip_01", LocationCode: "The floor"}, 1,
			"9300CNinvalidsip_01|COsip_01|CPThe floor|AY1AZF042"},
		{&sip2.SCStatus{MaxPrintWidth: 30, ProtocolVersion: "2.00"}, 1, "9900302.00AY1AZFCA5"},
		{&sip2.SCStatus{StatusCode: '1', MaxPrintWidth: 30}, 14, "9910302.00AY4AZFCA1"},
		{&sip2.RequestACSResend{}, 3, "97AZFEF5"},
		{&sip2.RequestSCResend{}, 0, "96AZFEF6"},
		{&sip2.RequestSCResend{}, sip2.NoSeq, "96"},
		{&sip2.PatronInformation{TransactionDate: ts("20261127031759"), InstitutionID: "MAIN", PatronID: "12345", PatronPassword: "9999", StartItem: "1", EndItem: "5"}, 2,
			"6300020261127    031759          AOMAIN|AA12345|AD9999|BP1|BQ5|AY2AZF07C"},
		{&sip2.Checkout{TransactionDate: ts("20261127031902"), InstitutionID: "MAIN", PatronID: "12345", ItemID: "0001", PatronPassword: "9999",
			FeeAcknowledged: sip2.No, Cancel: sip2.No}, 2,
			"11NN20261127    031902                  AOMAIN|AA12345|AB0001|AC|AD9999|BON|BIN|AY2AZEC94"},
		{&sip2.ItemInformation{TransactionDate: ts("20261127031902"), InstitutionID: "MAIN", ItemID: "0001"}, 4,
			"1720261127    031902AOMAIN|AB0001|AY4AZF6FA"},
		{&sip2.LoginResponse{OK: true}, sip2.NoSeq, "941"},
	} {
		if got := string(utcCodec.Encode(tc.m, tc.seq)); got != tc.want {
			t.Errorf("Encode(%T)\n got %q\nwant %q", tc.m, got, tc.want)
		}
	}
}

// TestDecodeReal decodes messages real systems sent and checks the fields a
// server or client would use.
func TestDecodeReal(t *testing.T) {
	dec := func(s string) sip2.Message {
		t.Helper()
		p, err := utcCodec.Decode([]byte(s))
		if err != nil {
			t.Fatalf("Decode(%q): %v", s, err)
		}
		return p.Message
	}
	// Aleph ACS status (reference §1.4).
	st := dec("98YYYNYN03001020171012    1456132.00AOALEPH|AMUniversity Libraries (ABC50)|BXYYYYYYYYYYYNNYNY|AN196.001.172.030|AFACS status.|AGACS status.|").(*sip2.ACSStatus)
	if !st.Online || !st.CheckinOK || !st.CheckoutOK || st.RenewalPolicy || !st.StatusUpdateOK || st.OfflineOK ||
		st.TimeoutPeriod != 30 || st.RetriesAllowed != 10 || !st.DateTimeSync.Equal(ts("20171012145613")) || st.ProtocolVersion != "2.00" ||
		st.InstitutionID != "ALEPH" || st.LibraryName != "University Libraries (ABC50)" || st.SupportedMessages != "YYYYYYYYYYYNNYNY" ||
		st.TerminalLocation != "196.001.172.030" || !reflect.DeepEqual(st.ScreenMessage, []string{"ACS status."}) || len(st.PrintLine) != 1 {
		t.Errorf("98: %+v", st)
	}
	if !sip2.Supports(st.SupportedMessages, "65") || sip2.Supports(st.SupportedMessages, "19") {
		t.Errorf("Supports misreads %s", st.SupportedMessages)
	}
	// Sierra 64 with ZZZZ "0000" (layout only; its published checksum is wrong).
	pi := dec("64              000201610210000142637000000000000000000000000AOnypl |AA12345|AESHELDON, ALICE|BZ0030|CA0050|CB0050|BLY|CQY|BV0|CC15.00|BEfoo@example.com|").(*sip2.PatronInformationResponse)
	if pi.PatronStatus != 0 || pi.Language != "000" || !pi.TransactionDate.Equal(ts("20161021142637")) || pi.HoldItemsCount != 0 ||
		pi.InstitutionID != "nypl " || pi.PersonalName != "SHELDON, ALICE" || pi.HoldItemsLimit != "0030" || pi.ValidPatron != sip2.Yes ||
		pi.ValidPatronPassword != sip2.Yes || pi.FeeLimit != "15.00" || pi.Email != "foo@example.com" || len(pi.Extra) != 0 {
		t.Errorf("64: %+v", pi)
	}
	// Koha emulator checkout: nb due date = transaction date, BIN.
	co := dec("11YN20261127    03135520261127    031355AOMAIN|AA12345|AB0001|ACsecret|AD9999|BIN|").(*sip2.Checkout)
	if !co.RenewalPolicy || co.NoBlock || co.NbDueDate.IsZero() || co.TerminalPassword != "secret" || co.PatronPassword != "9999" || co.Cancel != sip2.No {
		t.Errorf("11: %+v", co)
	}
	// Koha emulator's malformed 17 (a language before the date) still gives AO and AB.
	ii := dec("1700120261127    031355AOMAIN|AB0001|ACsecret|").(*sip2.ItemInformation)
	if ii.InstitutionID != "MAIN" || ii.ItemID != "0001" || !ii.TransactionDate.Equal(ts("20261127031355")) {
		t.Errorf("malformed 17: %+v", ii)
	}
	// Variable fields in any order, trailing "|||", missing final '|',
	// repeatable fields in order, duplicates and unknown fields kept.
	r := dec("64YY            00120261127    031355000100000002000000000000AAP1|AEJo|AOINST|AUi1|XXcustom|AUi2|AOdup|AFone|AFtwo|PB19800101").(*sip2.PatronInformationResponse)
	if !r.PatronStatus.Has(sip2.ChargeDenied|sip2.RenewalDenied) || r.PatronStatus.Has(sip2.RecallDenied) || r.HoldItemsCount != 1 || r.ChargedItemsCount != 2 ||
		r.InstitutionID != "INST" || r.PatronID != "P1" || !reflect.DeepEqual(r.ChargedItems, []string{"i1", "i2"}) ||
		!reflect.DeepEqual(r.ScreenMessage, []string{"one", "two"}) ||
		!reflect.DeepEqual(r.Extra, []sip2.Field{{ID: "XX", Value: "custom"}, {ID: "AO", Value: "dup"}, {ID: "PB", Value: "19800101"}}) {
		t.Errorf("64 any order: %+v", r)
	}
	if got := string(utcCodec.Encode(r, sip2.NoSeq)); !strings.HasSuffix(got, "AFone|AFtwo|XXcustom|AOdup|PB19800101|") {
		t.Errorf("unknown fields not passed through: %q", got)
	}
	e := dec("2300120261127    031716AOMAIN|AA12345|ACsecret|AD||||").(*sip2.PatronStatusRequest)
	if e.PatronPassword != "" || e.TerminalPassword != "secret" || len(e.Extra) != 0 {
		t.Errorf("23 with empty AD and |||: %+v", e)
	}
	// Counts sent as blanks are Unsupported and go back out as blanks.
	u := dec("64              00020261127    031355                        AOI|AAP|AE|").(*sip2.PatronInformationResponse)
	if u.HoldItemsCount != sip2.Unsupported || !strings.Contains(string(utcCodec.Encode(u, sip2.NoSeq)), "031355                        AO") {
		t.Errorf("blank counts: %+v", u)
	}
}

// TestRoundTrip fills every field of every message with values and checks
// Decode(Encode(m)) == m.
func TestRoundTrip(t *testing.T) {
	codes := []string{"93", "94", "99", "98", "97", "96", "23", "24", "63", "64", "11", "12", "09", "10", "01", "35", "36",
		"37", "38", "17", "18", "19", "20", "25", "26", "15", "16", "29", "30", "65", "66"}
	for _, code := range codes {
		// Decode a minimal message to get an instance of the right type.
		p, err := utcCodec.Decode(append([]byte(code), bytes.Repeat([]byte(" "), 80)...))
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		m := p.Message
		if m.Code() != code {
			t.Fatalf("%s decoded as %s", code, m.Code())
		}
		fill(reflect.ValueOf(m).Elem())
		b := utcCodec.Encode(m, 7)
		p2, err := utcCodec.Decode(b)
		if err != nil {
			t.Fatalf("%s: Decode(Encode): %v\n%q", code, err, b)
		}
		if p2.Seq != 7 && code != "96" && code != "97" || !p2.Checked {
			t.Errorf("%s: seq %d checked %v", code, p2.Seq, p2.Checked)
		}
		if !reflect.DeepEqual(p2.Message, m) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v\nwire %q", code, p2.Message, m, b)
		}
	}
}

func fill(v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Interface().(type) {
		case bool:
			f.SetBool(i%2 == 0)
		case byte:
			f.SetUint('Y')
		case sip2.Flag:
			f.SetUint(uint64(sip2.Yes))
		case string:
			switch name {
			case "Language":
				f.SetString(sip2.LanguageGerman)
			case "ProtocolVersion":
				f.SetString("2.00")
			case "Summary":
				f.SetString("  Y")
			case "CurrencyType", "FeeType", "PaymentType", "CirculationStatus", "SecurityMarker":
				f.SetString(strings.Repeat("7", map[string]int{"CurrencyType": 3}[name]+2*btoi(name != "CurrencyType")))
			default:
				f.SetString("Müller " + name)
			}
		case []string:
			f.Set(reflect.ValueOf([]string{"a " + name, "", "b"}))
		case sip2.Count:
			f.SetInt(int64(i))
		case time.Time:
			f.Set(reflect.ValueOf(ts("20260102030405")))
		case sip2.PatronStatus:
			f.SetUint(uint64(sip2.CardLost | sip2.TooManyBilled))
		case []sip2.Field:
			f.Set(reflect.ValueOf([]sip2.Field{{ID: "ZZ", Value: "z1"}, {ID: "PB", Value: "x"}}))
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestTimestamps(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		in   string
		ok   bool
		want time.Time
	}{
		{"20261127    031355", true, time.Date(2026, 11, 27, 3, 13, 55, 0, ny)},
		{"202611270000031355", true, time.Date(2026, 11, 27, 3, 13, 55, 0, ny)},
		{"20261127   Z031355", true, time.Date(2026, 11, 27, 3, 13, 55, 0, time.UTC)},
		{"20261127   R031355", true, time.Date(2026, 11, 27, 8, 13, 55, 0, time.UTC)}, // R = UTC-5
		{"                  ", true, time.Time{}},
		{"20261327    031355", false, time.Time{}},
		{"2026112    0313555", false, time.Time{}},
		{"20261127 +01031355", false, time.Time{}},
		{"short", false, time.Time{}},
	} {
		got, ok := sip2.ParseTimestamp(tc.in, ny)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	at := time.Date(2026, 11, 27, 3, 13, 55, 0, time.UTC)
	if got := sip2.FormatTimestamp(at, ny, false); got != "20261126    221355" {
		t.Errorf("local: %q", got)
	}
	if got := sip2.FormatTimestamp(at, ny, true); got != "20261127   Z031355" {
		t.Errorf("utc: %q", got)
	}
}

func TestCharsets(t *testing.T) {
	name := "LE CARRÉ, Zoë Müller"
	for _, tc := range []struct {
		cs   sip2.Charset
		wire string // how AE looks on the wire
		back string // what decoding gives back
	}{
		{sip2.UTF8, "LE CARRÉ, Zoë Müller", name},
		{sip2.IBM850, "LE CARR\x90, Zo\x89 M\x81ller", name},
		{sip2.ISO88591, "LE CARR\xc9, Zo\xeb M\xfcller", name},
		{sip2.ASCII, "LE CARRE, Zoe Muller", "LE CARRE, Zoe Muller"},
	} {
		c := sip2.Codec{Charset: tc.cs, Location: time.UTC}
		m := &sip2.PatronStatusResponse{InstitutionID: "I", PatronID: "P", PersonalName: name}
		b := c.Encode(m, 1)
		if !bytes.Contains(b, []byte("AE"+tc.wire+"|")) {
			t.Errorf("%v: wire %q lacks %q", tc.cs, b, tc.wire)
		}
		p, err := c.Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", tc.cs, err)
		}
		if got := p.Message.(*sip2.PatronStatusResponse).PersonalName; got != tc.back {
			t.Errorf("%v: got %q want %q", tc.cs, got, tc.back)
		}
	}
	if b := (sip2.Codec{}).Encode(&sip2.PatronStatusResponse{PersonalName: "東京"}, sip2.NoSeq); !bytes.Contains(b, []byte("AE??|")) {
		t.Errorf("ASCII of CJK: %q", b)
	}
	for _, n := range []string{"UTF-8", "utf8", "CP850", "ibm850", "ISO-8859-1", "latin1", "ascii"} {
		if _, err := sip2.ParseCharset(n); err != nil {
			t.Error(err)
		}
	}
	if _, err := sip2.ParseCharset("ebcdic"); err == nil {
		t.Error("ebcdic accepted")
	}
}

// TestEncodeCleansValues: '|' and CR inside values cannot break framing, and
// values are cut to 255 characters.
func TestEncodeCleansValues(t *testing.T) {
	b := utcCodec.Encode(&sip2.CheckinResponse{InstitutionID: "A|B\rC\nD\x00E", ItemID: strings.Repeat("é", 300)}, sip2.NoSeq)
	if bytes.ContainsAny(b, "\r\n\x00") || !bytes.Contains(b, []byte("AOA B C DE|")) {
		t.Errorf("not cleaned: %q", b)
	}
	p, err := utcCodec.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(p.Message.(*sip2.CheckinResponse).ItemID)); n != 255 {
		t.Errorf("AB has %d characters, want 255", n)
	}
}

func TestSupportedMessages(t *testing.T) {
	bx := sip2.SupportedMessages(func(c string) bool { return c == "23" || c == "65" || c == "93" })
	if bx != "YNNNNNYNNNNNNNNY" {
		t.Errorf("BX = %s", bx)
	}
	if sip2.ResponseCode("01") != "24" || sip2.ResponseCode("11") != "12" || sip2.ResponseCode("12") != "" {
		t.Error("ResponseCode")
	}
	if !sip2.IsSecret("AD") || !sip2.IsSecret("CO") || !sip2.IsSecret("AC") || sip2.IsSecret("AA") || sip2.FieldName("AE") != "personal name" {
		t.Error("field table")
	}
}
