#!/bin/bash
# quirks.sh - rewrite lab captures into what real stacks rarely produce on
# loopback, each into its own file under pcaps/lab/ (see pcaps/README.md for
# the ground truth of each):
#
#   quirk-shuffled.pcap    server flight in 8 segments, sent shuffled     (one-intermediate)
#   quirk-retrans.pcap     duplicate + overlapping retransmissions, one
#                          with different bytes: the first copy wins      (one-intermediate)
#   quirk-seg40.pcap       server flight in 40-byte segments              (two-intermediates)
#   quirk-vlan.pcap        802.1Q tag (VID 100) on every frame            (one-intermediate)
#   quirk-qinq.pcap        802.1ad VID 200 + 802.1Q VID 100, SLL2 turned
#                          into Ethernet                                  (any-sll2)
#   quirk-midstream.pcap   starts after the ClientHello (no SYN)          (one-intermediate)
#   quirk-gap.pcap         a 300-byte segment inside the Certificate
#                          message missing: handshake incomplete (gap)    (one-intermediate)
#   quirk-truncated.pcap   file cut inside a record in the Certificate    (one-intermediate)
#   quirk-snaplen.pcap     frames cut to 1000 bytes (tcpdump -s 1000)     (one-intermediate)
#   quirk-seqwrap.pcap     sequence numbers wrap past 2^32 inside the
#                          Certificate message                            (two-intermediates)
#
# and the same session in link types and encapsulations no stack on this
# machine produces, IP fragments, and unknown framing (log: pcaps/lab/links.log):
#
#   link-ppp.pcap          DLT_PPP, HDLC-like framing                     (one-intermediate)
#   link-chdlc.pcap        Cisco HDLC                                     (one-intermediate)
#   link-wlan.pcap         radiotap + 802.11 QoS data + LLC/SNAP, a beacon
#                          and a Protected frame among them               (one-intermediate)
#   link-nflog.pcap        NFLOG group 5, little-endian TLVs              (one-intermediate)
#   tunnel-gtpu.pcap       GTP-U over UDP 2152 over IPv4                  (one-intermediate)
#   tunnel-vxlan.pcap      VXLAN over UDP 4789 over IPv4, a source port
#                          per direction                                  (one-intermediate)
#   frag-ipv4.pcap         server packets in IPv4 fragments sent last
#                          first, one overlapping copy with other bytes   (one-intermediate)
#   frag-ipv6.pcap         server packets in IPv6 fragments, two
#                          datagrams interleaved                          (ipv6)
#   quirk-fakeder.pcap     noise and a Certificate with 4 bytes of fake
#                          DER instead of the server's flight             (one-intermediate)
#
# and one capture of the chain diagnosis (log: pcaps/lab/diag-edits.log):
#
#   diag-bad-signature.pcap  one byte of the leaf's signature inverted
#                            (bad_signature)                              (one-intermediate)
#
# and the capture of the ranking by frequency (pcaps/README.md, "Frequency
# captures"; what was done is printed, not logged: the mapping is in the README):
#
#   freq-three-servers.pcap  the nine connections of freq-sessions.pcap
#                            (all from 127.0.0.1) from three client
#                            addresses, 192.0.2.1-3 (pcapedit.py clients)
#
# Run after scripts/mkpcaps.sh; it only reads pcaps/lab/*.pcap and is
# deterministic (re-running on the same sources gives the same files).
# Needs /usr/bin/python3 (Debian python3, standard library only): the work is
# done by scripts/pcapedit.py.  What each rewrite did (frames, relative
# sequence numbers) goes to pcaps/lab/quirks.log.
set -eu

cd "$(dirname "$0")/.."
LAB=pcaps/lab
ED=scripts/pcapedit.py

quirk() { # quirk OP SOURCE NAME
	/usr/bin/python3 "$ED" "$1" "$LAB/$2.pcap" "$LAB/quirk-$3.pcap"
}
diag() { # diag OP SOURCE NAME
	/usr/bin/python3 "$ED" "$1" "$LAB/$2.pcap" "$LAB/diag-$3.pcap"
}

{
	echo "# made by scripts/quirks.sh (scripts/pcapedit.py); rel. seq = tshark's relative"
	echo "# sequence numbers of the server's direction (first payload byte = 1)"
	quirk shuffle   one-intermediate  shuffled
	quirk retrans   one-intermediate  retrans
	quirk seg40     two-intermediates seg40
	quirk vlan      one-intermediate  vlan
	quirk qinq      any-sll2          qinq
	quirk midstream one-intermediate  midstream
	quirk gap       one-intermediate  gap
	quirk truncate  one-intermediate  truncated
	quirk snaplen   one-intermediate  snaplen
	quirk seqwrap   two-intermediates seqwrap
} >"$LAB/quirks.log"
cat "$LAB/quirks.log"
{
	echo "# made by scripts/quirks.sh (scripts/pcapedit.py); rel. seq = tshark's relative"
	echo "# sequence numbers of the server's direction (first payload byte = 1)"
	ED_ONE() { /usr/bin/python3 "$ED" "$1" "$LAB/$2.pcap" "$LAB/$3.pcap"; }
	ED_ONE ppp     one-intermediate link-ppp
	ED_ONE chdlc   one-intermediate link-chdlc
	ED_ONE wlan    one-intermediate link-wlan
	ED_ONE nflog   one-intermediate link-nflog
	ED_ONE gtpu    one-intermediate tunnel-gtpu
	ED_ONE vxlan   one-intermediate tunnel-vxlan
	ED_ONE frag4   one-intermediate frag-ipv4
	ED_ONE frag6   ipv6             frag-ipv6
	ED_ONE fakeder one-intermediate quirk-fakeder
} >"$LAB/links.log"
cat "$LAB/links.log"
{
	echo "# made by scripts/quirks.sh (scripts/pcapedit.py); rel. seq = tshark's relative"
	echo "# sequence numbers of the server's direction (first payload byte = 1)"
	diag sigflip one-intermediate bad-signature
} >"$LAB/diag-edits.log"
cat "$LAB/diag-edits.log"
# connection (in SYN order): 1 miss, 2 miss, 3 one, 4 expired, 5 miss, 6 miss,
# 7 expired, 8 one, 9 miss (cap_freq_sessions).  miss.test: 192.0.2.1, .2, .1,
# .3, .2 (5 handshakes, 3 clients); expired.test: .3 twice (2, 1); one.test: .1, .2.
/usr/bin/python3 "$ED" clients "$LAB/freq-sessions.pcap" "$LAB/freq-three-servers.pcap" \
	192.0.2.1:50001 192.0.2.2:50002 192.0.2.1:50003 192.0.2.3:50004 192.0.2.1:50005 \
	192.0.2.3:50006 192.0.2.3:50007 192.0.2.2:50008 192.0.2.2:50009
