package patron

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when goroutines of this package (pool janitors,
// go-ldap readers of connections not closed) outlive the tests.
func TestMain(m *testing.M) { testenv.Main(m, "broker/patron.", "go-ldap/ldap") }
