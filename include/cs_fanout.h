/*
 * cs_fanout.h - spreading one interface over --workers N capture sockets:
 * the classic BPF program the kernel runs per packet to pick a worker
 * (PACKET_FANOUT_CBPF), the same program run in user space, and joining an
 * AF_PACKET socket to the fanout group.
 *
 * The program hashes the innermost IP address pair only (no ports), the
 * same both ways: both directions of a flow, and the IP fragments of its
 * datagrams (which carry no ports), reach one worker.  It looks through
 * 802.1Q/802.1ad tags, PPPoE sessions, MPLS label stacks, IPIP/6in4, GRE,
 * VXLAN, Geneve and GTP-U for load balance only; what it cannot parse is
 * hashed on the last pair it read (worker 0 when it read none).
 *
 * Kernel facts this rests on (net/packet/af_packet.c, Linux 6.x):
 *  - packet_rcv_fanout runs the program with skb->data at the NETWORK
 *    header for received frames (the MAC header pulled, the first VLAN tag
 *    moved to skb metadata by skb_vlan_untag) and at the MAC header for
 *    sent ones (dev_queue_xmit_nit, pkt_type PACKET_OUTGOING); the program
 *    starts from skb->protocol or from the Ethernet header accordingly.
 *    Loads stay at offsets >= 0 from skb->data: those read paged data
 *    (skb_copy_bits), while SKF_LL_OFF loads read the linear head only.
 *  - fanout_demux_bpf takes the program's return % the current member
 *    count; a load past the packet's end ends the program with 0.
 *  - PACKET_FANOUT_DATA sets one program for the whole group, from any
 *    member, after it joined (fanout_set_data: EINVAL before); until then
 *    every packet goes to member 0.  Setting it again replaces it.
 *  - fanout_add needs a bound socket (po->running, libpcap's activate does
 *    it) on the same device and protocol as the group; a ring set up before
 *    is kept (the group calls the member's tpacket_rcv).
 */
#ifndef CS_FANOUT_H
#define CS_FANOUT_H

#include "cs_common.h"
#include "cs_limits.h"

#include <pcap/pcap.h> /* struct bpf_insn (pcap/bpf.h needs its types first) */

/*
 * The program for nworkers (1..CS_MAX_WORKERS) in the form the kernel runs
 * (prog[0..return)), returning the worker index in [0, nworkers).  Returns
 * the number of instructions, 0 when nworkers is out of range or cap is
 * too small (CS_FANOUT_PROG_MAX is always enough).
 */
size_t fanout_program(unsigned nworkers, struct bpf_insn *prog, size_t cap);

/*
 * The same program started from an Ethernet frame at offset 0 (a capture
 * file's view, every tag still in the frame), for libpcap's bpf_filter();
 * only its first instructions differ from fanout_program's.
 */
size_t fanout_program_frame(unsigned nworkers, struct bpf_insn *prog, size_t cap);

/* The worker an Ethernet frame of len captured bytes goes to, by the
 * program run with bpf_filter(); 0 when nworkers is out of range. */
unsigned fanout_worker_of(const uint8_t *frame, uint32_t len, unsigned nworkers);

/* A group id unlikely to be another process's, from the process id: fanout
 * groups are per network namespace, and a socket of another program that
 * asked for the same id, type and flags on the same interface would share
 * the packets.  The kernel can pick a free one (PACKET_FANOUT_FLAG_UNIQUEID,
 * Linux 4.6) for a first member that then tells the others: not used, the
 * callers open every socket with one id. */
uint16_t fanout_group_id(void);

/*
 * Joins fd (a bound AF_PACKET socket: pcap_fileno after pcap_activate; its
 * ring and filter stay) to group_id with PACKET_FANOUT_CBPF (no
 * FLAG_DEFRAG: fragments reach their flow's worker by their addresses, and
 * its defragmenter reads them as a file run does) and sets the program for nworkers (every member sets it: the group does
 * not depend on who joined first).  Should the kernel refuse the program
 * type (EINVAL: before Linux 4.3, or a group of the kernel's hash made by
 * an earlier member), joins PACKET_FANOUT_HASH | FLAG_DEFRAG instead and
 * returns CS_OK with a one-line warning in err (the kernel's hash takes
 * ports: IPv6 fragments may reach another worker than their flow; tunnels
 * are not balanced).  Plain success leaves err as it was.  CS_IO or
 * CS_LIMIT (nworkers out of range): not joined, err says why.
 */
enum cs_status fanout_join(int fd, uint16_t group_id, unsigned nworkers, char *err, size_t errlen);

#endif
