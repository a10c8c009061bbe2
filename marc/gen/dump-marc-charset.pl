#!/usr/bin/perl
# dump-marc-charset.pl writes codetables.tsv, the MARC-8 <-> Unicode mapping
# that gen/main.go turns into ../zmarc8.go. Its source is the mapping that
# Debian's libmarc-charset-perl builds from the Library of Congress's
# codetables.xml (https://www.loc.gov/marc/specifications/codetables.xml):
#
#   apt-get install libmarc-charset-perl
#   perl dump-marc-charset.pl > codetables.tsv
#
# Columns: set (final byte of the set's escape sequence, hex), MARC-8 code
# (hex, G0 form: 21-7E; three bytes for EACC), Unicode code point (hex),
# 1 if the character is combining, the Unicode name LC gives.
use strict;
use warnings;
use MARC::Charset::Table;
use Storable qw(thaw);

my $db = MARC::Charset::Table->new()->db();
my @rows;
while (my ($k, $v) = each %$db) {
    next if $k =~ /^\d+$/;    # the Unicode-keyed entries repeat the MARC-8 ones
    my $c = thaw($v);
    push @rows, join("\t", sprintf('%02X', ord($c->charset_value())), uc($c->marc()),
        uc($c->ucs()), $c->is_combining() ? 1 : 0, $c->name() // '');
}
print "# MARC-8 code tables, from libmarc-charset-perl (Library of Congress codetables.xml).\n";
print "# set\tmarc\tucs\tcombining\tname\n";
print "$_\n" for sort @rows;
