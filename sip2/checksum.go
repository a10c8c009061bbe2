package sip2

// Checksum returns the SIP2 error-detection checksum of b: the two's
// complement of the 16-bit sum of its bytes, SIP2 §"Error Detection". b runs
// from the first byte of the message up to and including the letters "AZ";
// the sum is over the encoded bytes, whatever the character set.
func Checksum(b []byte) uint16 {
	var sum uint16
	for _, c := range b {
		sum += uint16(c)
	}
	return -sum
}

// appendChecksum appends Checksum(b) to b as four uppercase hex digits.
func appendChecksum(b []byte) []byte {
	const hex = "0123456789ABCDEF"
	ck := Checksum(b)
	return append(b, hex[ck>>12], hex[ck>>8&0xF], hex[ck>>4&0xF], hex[ck&0xF])
}

// parseHex4 reads four hex digits, either case.
func parseHex4(b []byte) (uint16, bool) {
	if len(b) != 4 {
		return 0, false
	}
	var v uint16
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint16(c)
	}
	return v, true
}
