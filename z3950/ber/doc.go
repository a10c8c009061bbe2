// Package ber frames and decodes BER (ITU-T X.690) with hard limits on depth, length and size, for Z39.50.
package ber
