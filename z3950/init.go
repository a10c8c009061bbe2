package z3950

import (
	"github.com/illgw/illgw/z3950/ber"
)

// Options is the Init options bit string (Z39.50-2003 §3.2.1.1.4); bit n is 1<<n.
type Options uint32

// Init option bits.
const (
	OptSearch           Options = 1 << 0
	OptPresent          Options = 1 << 1
	OptDelSet           Options = 1 << 2
	OptTriggerResCtrl   Options = 1 << 4
	OptScan             Options = 1 << 7
	OptSort             Options = 1 << 8
	OptExtendedServices Options = 1 << 10
	OptNamedResultSets  Options = 1 << 14
	OptNegotiation      Options = 1 << 17
	OptQueryType104     Options = 1 << 19
)

// Version bits (Z39.50-2003 §3.2.1.1.3): version-1, -2, -3.
const (
	Version1 = 1 << 0
	Version2 = 1 << 1
	Version3 = 1 << 2
)

// Auth is idAuthentication (Z39.50-2003 §3.2.1.1.8): Open is the "open" form ("user/pass"
// or just an id); User, Group and Password are the idPass form; Anonymous is the NULL form.
// Never log a Password or an Open string.
type Auth struct {
	Open      string
	Group     string
	User      string
	Password  string
	IDPass    bool
	Anonymous bool
}

// CharsetProposal is the Charset-3 negotiation (OID 1.2.840.10003.15.3) carried in Init
// otherInfo. In a request it lists what the origin offers; in a response what the target chose.
type CharsetProposal struct {
	UTF8                      bool     // ISO 10646 with encodingLevel UTF-8
	Private                   []string // private character sets named externally (YAZ: "ISO-8859-1")
	RecordsInSelectedCharSets *bool
}

// InitRequest is the InitializeRequest APDU [20] (Z39.50-2003 §3.2.1.1).
type InitRequest struct {
	Common
	Version               uint8 // bits Version1|Version2|Version3
	Options               Options
	PreferredMessageSize  int
	ExceptionalRecordSize int
	Auth                  *Auth
	ImplementationID      string
	ImplementationName    string
	ImplementationVersion string
	// Charset is decoded from (and, when OtherInfo has no Charset-3 entry, encoded into) otherInfo.
	Charset *CharsetProposal
}

// InitResponse is the InitializeResponse APDU [21] (Z39.50-2003 §3.2.1.1). Result false
// refuses the association; Diagnostic then explains why (sent in userInformationField).
type InitResponse struct {
	Common
	Version               uint8
	Options               Options
	PreferredMessageSize  int
	ExceptionalRecordSize int
	Result                bool
	ImplementationID      string
	ImplementationName    string
	ImplementationVersion string
	Charset               *CharsetProposal
	UserInformation       *External
}

// Tag returns 20.
func (*InitRequest) Tag() uint32 { return TagInitRequest }

// Tag returns 21.
func (*InitResponse) Tag() uint32 { return TagInitResponse }

func optionBits(o Options) []bool {
	n := 16
	if o>>16 != 0 {
		n = 24
	}
	bits := make([]bool, n)
	for i := range n {
		bits[i] = o&(1<<i) != 0
	}
	return bits
}

func versionBits(v uint8) []bool {
	bits := make([]bool, 8)
	for i := range 8 {
		bits[i] = v&(1<<i) != 0
	}
	return bits
}

func decodeBits(v ber.Value, what string) (uint32, error) {
	bits, err := v.BitString()
	if err != nil {
		return 0, malformed(what)
	}
	var n uint32
	for i, b := range bits {
		if b && i < 32 {
			n |= 1 << i
		}
	}
	return n, nil
}

// decodeVersion reads protocolVersion [3], the inverse of versionBits
// (Z39.50-2003 §3.2.1.1.3); bits past version-8 are dropped.
func decodeVersion(v ber.Value) (uint8, error) {
	n, err := decodeBits(v, "protocolVersion")
	return uint8(n), err
}

// decodeOptions reads options [4], the inverse of optionBits (Z39.50-2003 §3.2.1.1.4).
func decodeOptions(v ber.Value) (Options, error) {
	n, err := decodeBits(v, "options")
	return Options(n), err
}

func encodeImpl(e *ber.Encoder, id, name, version string) {
	if id != "" {
		e.String(ber.C(110), id)
	}
	if name != "" {
		e.String(ber.C(111), name)
	}
	if version != "" {
		e.String(ber.C(112), version)
	}
}

func (p *InitRequest) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.BitString(ber.C(3), versionBits(p.Version))
	e.BitString(ber.C(4), optionBits(p.Options))
	e.Int(ber.C(5), int64(p.PreferredMessageSize))
	e.Int(ber.C(6), int64(p.ExceptionalRecordSize))
	if a := p.Auth; a != nil {
		e.Constructed(ber.CC(7), func(e *ber.Encoder) {
			switch {
			case a.Anonymous:
				e.Null(ber.U(ber.TagNull))
			case a.IDPass:
				e.Constructed(tagSequence, func(e *ber.Encoder) {
					if a.Group != "" {
						e.String(ber.C(0), a.Group)
					}
					if a.User != "" {
						e.String(ber.C(1), a.User)
					}
					if a.Password != "" {
						e.String(ber.C(2), a.Password)
					}
				})
			default:
				e.String(tagVisibleString, a.Open)
			}
		})
	}
	encodeImpl(e, p.ImplementationID, p.ImplementationName, p.ImplementationVersion)
	p.encodeOtherWithCharset(e, p.Charset, true)
}

func (c *Common) encodeOtherWithCharset(e *ber.Encoder, cs *CharsetProposal, proposal bool) {
	if cs != nil && !hasCharsetInfo(c.OtherInfo) {
		var x ber.Encoder
		cs.encodeOtherInfo(&x, proposal)
		c.OtherInfo = append(c.OtherInfo, x.Bytes())
	}
	c.encodeOther(e)
}

func (p *InitRequest) decode(v ber.Value) error {
	var seen int
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(3):
			p.Version, err = decodeVersion(c)
			seen |= 1
		case ber.C(4):
			p.Options, err = decodeOptions(c)
			seen |= 2
		case ber.C(5):
			p.PreferredMessageSize, err = getInt(c, "preferredMessageSize")
			seen |= 4
		case ber.C(6):
			p.ExceptionalRecordSize, err = getInt(c, "exceptionalRecordSize")
			seen |= 8
		case ber.CC(7):
			p.Auth, err = decodeAuth(c.First())
		case ber.C(110):
			p.ImplementationID = c.String()
		case ber.C(111):
			p.ImplementationName = c.String()
		case ber.C(112):
			p.ImplementationVersion = c.String()
		}
		if err != nil {
			return err
		}
	}
	if seen != 15 {
		return malformed("InitializeRequest lacks a mandatory field")
	}
	p.Charset = charsetFromOtherInfo(p.OtherInfo)
	return nil
}

func decodeAuth(v ber.Value) (*Auth, error) {
	a := &Auth{}
	switch v.Tag() {
	case tagVisibleString, tagGeneralString:
		a.Open = v.String()
	case tagSequence:
		a.IDPass = true
		for c := v.First(); c.Valid(); c = c.Next() {
			switch c.Tag() {
			case ber.C(0):
				a.Group = c.String()
			case ber.C(1):
				a.User = c.String()
			case ber.C(2):
				a.Password = c.String()
			}
		}
	case ber.U(ber.TagNull):
		a.Anonymous = true
	default:
		return nil, malformed("idAuthentication")
	}
	return a, nil
}

func (p *InitResponse) encode(e *ber.Encoder) {
	p.encodeRef(e)
	e.BitString(ber.C(3), versionBits(p.Version))
	e.BitString(ber.C(4), optionBits(p.Options))
	e.Int(ber.C(5), int64(p.PreferredMessageSize))
	e.Int(ber.C(6), int64(p.ExceptionalRecordSize))
	e.Bool(ber.C(12), p.Result)
	encodeImpl(e, p.ImplementationID, p.ImplementationName, p.ImplementationVersion)
	if p.UserInformation != nil {
		e.Constructed(ber.CC(11), func(e *ber.Encoder) { p.UserInformation.encode(e, tagExternal) })
	}
	p.encodeOtherWithCharset(e, p.Charset, false)
}

func (p *InitResponse) decode(v ber.Value) error {
	var seen int
	for c := v.First(); c.Valid(); c = c.Next() {
		if p.common(c) {
			continue
		}
		var err error
		switch c.Tag() {
		case ber.C(3):
			p.Version, err = decodeVersion(c)
		case ber.C(4):
			p.Options, err = decodeOptions(c)
		case ber.C(5):
			p.PreferredMessageSize, err = getInt(c, "preferredMessageSize")
		case ber.C(6):
			p.ExceptionalRecordSize, err = getInt(c, "exceptionalRecordSize")
		case ber.C(12):
			p.Result, err = getBool(c, "result")
			seen |= 1
		case ber.C(110):
			p.ImplementationID = c.String()
		case ber.C(111):
			p.ImplementationName = c.String()
		case ber.C(112):
			p.ImplementationVersion = c.String()
		case ber.CC(11):
			p.UserInformation, err = decodeExternal(c.First())
		}
		if err != nil {
			return err
		}
	}
	if seen != 1 {
		return malformed("InitializeResponse lacks result")
	}
	p.Charset = charsetFromOtherInfo(p.OtherInfo)
	return nil
}
