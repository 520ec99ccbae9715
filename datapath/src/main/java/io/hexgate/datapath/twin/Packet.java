package io.hexgate.datapath.twin;

import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.FragKey;
import java.nio.ByteBuffer;

/**
 * struct hg_pkt: a copy of one Ethernet frame, what parsing it found (addresses, ports, the policy key's
 * port and protocol class, TCP flags, ICMP type, fragment state), and the header rewrites the program makes
 * on it (NAT with checksum updates, the reverse translation of an ICMP error's quote).
 */
final class Packet {
  static final int ETH_HLEN = 14;
  static final int TCP_FIN = 0x01;
  static final int TCP_SYN = 0x02;
  static final int TCP_RST = 0x04;
  static final int TCP_ACK = 0x10;
  static final int ICMP_ECHO_REPLY = 0;
  static final int ICMP_DEST_UNREACH = 3;
  static final int ICMP_FRAG_NEEDED = 4;
  static final int ICMP_ECHO_REQUEST = 8;
  static final int ICMP_TIME_EXCEEDED = 11;
  static final int ICMP_PARAMETERPROB = 12;
  static final int IP_MF = 0x2000;
  static final int IP_OFFSET = 0x1fff;
  static final int FRAG_FIRST = 1;
  static final int FRAG_LATER = 2;

  final byte[] bytes;
  private final ByteBuffer buf;
  int saddr;
  int daddr;
  int sport;
  int dport;
  int protocol;
  int tupleDir;
  int l4Off;
  int policyPort;
  int policyProto;
  int tcpFlags;
  int icmpType;
  int icmpCode;
  int frag;
  int ipId;

  Packet(byte[] frame) {
    this.bytes = frame.clone();
    this.buf = ByteBuffer.wrap(bytes);
  }

  int length() {
    return bytes.length;
  }

  private int u8(int off) {
    return bytes[off] & 0xff;
  }

  private int u16(int off) {
    return buf.getShort(off) & 0xffff;
  }

  /** 0 = an IPv4 packet to judge, 1 = pass untouched, negative = drop reason. */
  int parse() {
    if (bytes.length < ETH_HLEN) {
      return -DropReasons.DROP_INVALID;
    }
    int proto = u16(12);
    if (proto == 0x0806) {
      return 1;
    }
    if (proto != 0x0800) {
      return -DropReasons.DROP_UNKNOWN_L3;
    }
    if (bytes.length < ETH_HLEN + 20) {
      return -DropReasons.DROP_INVALID;
    }
    int ihl = u8(ETH_HLEN) & 0xf;
    int version = u8(ETH_HLEN) >> 4;
    if (version != 4 || ihl < 5) {
      return -DropReasons.DROP_INVALID;
    }
    saddr = buf.getInt(ETH_HLEN + 12);
    daddr = buf.getInt(ETH_HLEN + 16);
    protocol = u8(ETH_HLEN + 9);
    l4Off = ETH_HLEN + ihl * 4;
    int fragOff = u16(ETH_HLEN + 6);
    if ((fragOff & (IP_OFFSET | IP_MF)) != 0) {
      ipId = u16(ETH_HLEN + 4);
      if ((fragOff & IP_OFFSET) != 0) {
        frag = FRAG_LATER;
        return 0;
      }
      frag = FRAG_FIRST;
    }
    return parseL4();
  }

  private int parseL4() {
    int avail = bytes.length - l4Off;
    switch (protocol) {
      case Protocols.PROTO_TCP -> {
        if (avail < 20) {
          return -DropReasons.DROP_INVALID;
        }
        sport = u16(l4Off);
        dport = u16(l4Off + 2);
        tcpFlags = u8(l4Off + 13);
        policyPort = dport;
        policyProto = Protocols.PROTO_TCP;
      }
      case Protocols.PROTO_UDP, Protocols.PROTO_SCTP -> {
        if (avail < 8) {
          return -DropReasons.DROP_INVALID;
        }
        sport = u16(l4Off);
        dport = u16(l4Off + 2);
        policyPort = dport;
        policyProto = protocol;
      }
      case Protocols.PROTO_ICMP -> {
        if (avail < 8) {
          return -DropReasons.DROP_INVALID;
        }
        icmpType = u8(l4Off);
        icmpCode = u8(l4Off + 1);
        if (icmpType == ICMP_ECHO_REQUEST) {
          sport = u16(l4Off + 4);
        } else if (icmpType == ICMP_ECHO_REPLY) {
          dport = u16(l4Off + 4);
        }
        policyPort = icmpType;
        policyProto = Protocols.PROTO_ICMP;
      }
      default -> policyProto = Protocols.PROTO_OTHER;
    }
    return 0;
  }

  static boolean hasPorts(int protocol) {
    return protocol == Protocols.PROTO_TCP || protocol == Protocols.PROTO_UDP || protocol == Protocols.PROTO_SCTP;
  }

  boolean isNewRequest() {
    if (protocol == Protocols.PROTO_TCP) {
      return (tcpFlags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
    }
    return protocol == Protocols.PROTO_ICMP && icmpType == ICMP_ECHO_REQUEST;
  }

  boolean isTracked() {
    return protocol != Protocols.PROTO_ICMP || icmpType == ICMP_ECHO_REQUEST || icmpType == ICMP_ECHO_REPLY;
  }

  boolean isIcmpError() {
    return protocol == Protocols.PROTO_ICMP
        && (icmpType == ICMP_DEST_UNREACH || icmpType == ICMP_TIME_EXCEEDED || icmpType == ICMP_PARAMETERPROB);
  }

  CtKey tuple() {
    return new CtKey(saddr, daddr, sport, dport, protocol, tupleDir);
  }

  FragKey fragKey() {
    return new FragKey(saddr, daddr, ipId, protocol);
  }

  int tupleHash() {
    int h = Integer.reverseBytes(saddr) * 0x9E3779B1;
    h = (h ^ Integer.reverseBytes(daddr)) * 0x85EBCA6B;
    int ports = (Short.toUnsignedInt(Short.reverseBytes((short) sport)) << 16)
        | Short.toUnsignedInt(Short.reverseBytes((short) dport));
    h = (h ^ ports) * 0xC2B2AE35;
    h ^= protocol;
    return h ^ (h >>> 16);
  }

  // ------------------------------------------------------------------------------- rewriting

  private int l4CsumOff() {
    return protocol == Protocols.PROTO_TCP ? 16 : protocol == Protocols.PROTO_UDP ? 6 : 0;
  }

  /** Rewrites the source or destination address and port, updating the IP and L4 checksums. */
  void rewrite(boolean source, int oldAddr, int oldPort, int newAddr, int newPort) {
    int addrOff = ETH_HLEN + (source ? 12 : 16);
    int portOff = l4Off + (source ? 0 : 2);
    boolean l4 = frag != FRAG_LATER;
    int csumOff = l4 ? l4CsumOff() : 0;
    boolean mangled = protocol == Protocols.PROTO_UDP;
    if (csumOff != 0) {
      csumOff += l4Off;
      l4Replace(csumOff, mangled, true, oldAddr, newAddr);
      l4Replace(csumOff, mangled, false, oldPort, newPort);
    }
    int ipCheck = ETH_HLEN + 10;
    buf.putShort(ipCheck, (short) Checksums.replace4(u16(ipCheck), oldAddr, newAddr));
    buf.putInt(addrOff, newAddr);
    if (l4) {
      buf.putShort(portOff, (short) newPort);
    }
  }

  private void l4Replace(int off, boolean mangled, boolean four, int from, int to) {
    int check = u16(off);
    if (mangled && check == 0) {
      return;
    }
    int next = four ? Checksums.replace4(check, from, to) : Checksums.replace2(check, from, to);
    if (mangled && next == 0) {
      next = 0xffff;
    }
    buf.putShort(off, (short) next);
  }

  // ------------------------------------------------------------------------------- ICMP errors

  /** parse_quote: the quoted packet's tuple in the other hook's direction, with its header offsets. */
  record Quote(CtKey tuple, int ipOff, int l4Off) {}

  /** The quote of this ICMP error, as seen by the hook of direction {@code dir}; null when there is none to use. */
  Quote parseQuote(int dir) {
    int ipOff = l4Off + 8;
    if (bytes.length < ipOff + 20) {
      return null;
    }
    int vihl = u8(ipOff);
    int ihl = vihl & 0xf;
    if ((vihl >> 4) != 4 || ihl < 5 || (u16(ipOff + 6) & IP_OFFSET) != 0) {
      return null;
    }
    int qL4 = ipOff + ihl * 4;
    if (bytes.length < qL4 + 8) {
      return null;
    }
    int qProto = u8(ipOff + 9);
    int qSport = 0;
    int qDport = 0;
    switch (qProto) {
      case Protocols.PROTO_TCP, Protocols.PROTO_UDP, Protocols.PROTO_SCTP -> {
        qSport = u16(qL4);
        qDport = u16(qL4 + 2);
      }
      case Protocols.PROTO_ICMP -> {
        int type = u8(qL4);
        if (type == ICMP_ECHO_REQUEST) {
          qSport = u16(qL4 + 4);
        } else if (type == ICMP_ECHO_REPLY) {
          qDport = u16(qL4 + 4);
        } else {
          return null;
        }
      }
      default -> {
        return null;
      }
    }
    CtKey t = new CtKey(buf.getInt(ipOff + 12), buf.getInt(ipOff + 16), qSport, qDport, qProto,
        dir == Directions.DIR_EGRESS ? Directions.DIR_INGRESS : Directions.DIR_EGRESS);
    return new Quote(t, ipOff, qL4);
  }

  /** quote_rev_nat: the quote's backend becomes the frontend, and so does the sender when it is the backend. */
  void quoteRevNat(Quote q, int frontend, int frontendPort) {
    int icmpCsum = l4Off + 2;
    int checkOff = q.ipOff() + 10;
    int backend = q.tuple().daddr();
    int backendPort = q.tuple().dport();
    int oldCheck = u16(checkOff);
    buf.putShort(checkOff, (short) Checksums.replace4(oldCheck, backend, frontend));
    int newCheck = u16(checkOff);
    buf.putInt(q.ipOff() + 16, frontend);
    buf.putShort(q.l4Off() + 2, (short) frontendPort);
    l4Replace(icmpCsum, false, true, backend, frontend);
    l4Replace(icmpCsum, false, false, oldCheck, newCheck);
    l4Replace(icmpCsum, false, false, backendPort, frontendPort);
    if (saddr != backend) {
      return;
    }
    int ipCheck = ETH_HLEN + 10;
    buf.putShort(ipCheck, (short) Checksums.replace4(u16(ipCheck), backend, frontend));
    buf.putInt(ETH_HLEN + 12, frontend);
  }
}
