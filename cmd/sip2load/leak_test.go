package main

import (
	"testing"

	"github.com/illgw/illgw/internal/testenv"
)

// TestMain fails the package when its tests leave goroutines behind (a
// server, connection or stream not stopped).
func TestMain(m *testing.M) { testenv.Main(m) }
