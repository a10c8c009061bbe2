package adapter

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when goroutines started by its tests (the
// fake broker's gRPC server and connections, the NCIP HTTP servers) outlive
// them.
func TestMain(m *testing.M) { testenv.Main(m) }
