package config

import (
	"testing"
)

func TestLoadExample(t *testing.T) {
	path := exampleEnv(t)
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(example.yaml):\n%v", err)
	}
	if len(c.Members) != 3 {
		t.Fatalf("members = %d, want 3", len(c.Members))
	}
	got := []string{
		c.Members[0].Catalog.Password.Value, c.Members[0].NCIP.Secret.Value, c.Members[0].NCIP.InboundSecret.Value,
		c.Members[0].SIP2.Password.Value, c.Members[1].NCIP.Secret.Value, c.Members[1].Patrons.LDAP.Password.Value,
		c.Partners[0].Secret.Value,
	}
	want := []string{northZ3950, northNCIP, northIn, northSIP2, southNCIP, southLDAP, partner1}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("secret %d resolved wrongly", i)
		}
	}
	if len(canaries) != len(want) {
		t.Fatal("canaries and the example's secrets differ")
	}
}
