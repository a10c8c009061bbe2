package sip2_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/illgw/illgw/sip2"
	"github.com/illgw/illgw/sip2/memory"
)

// A Server in front of the in-memory backend, and a Client checking an
// item out through it.
func Example() {
	lib := memory.New()
	lib.AddAccount(memory.Account{Login: "kiosk1", PasswordHash: memory.HashPassword("kiosk1pass", 4), Institution: "NORTH"})
	lib.AddPatron(memory.Patron{ID: "N0001", PIN: "1234", Name: "Ada Lovelace"})
	lib.AddItem(memory.Item{ID: "NI0001", Title: "Notes on the Analytical Engine"})

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &sip2.Server{Backend: lib, Logger: slog.New(slog.DiscardHandler)}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	c := &sip2.Client{Addr: ln.Addr().String(), LoginUserID: "kiosk1", LoginPassword: "kiosk1pass"}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := c.Checkout(ctx, &sip2.Checkout{InstitutionID: "NORTH", PatronID: "N0001", ItemID: "NI0001", PatronPassword: "1234"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.OK, r.TitleID)
	// Output: true Notes on the Analytical Engine
}
