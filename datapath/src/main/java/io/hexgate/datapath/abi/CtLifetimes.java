package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.CtFlags.CT_CLOSING;
import static io.hexgate.datapath.abi.CtFlags.CT_SEEN_NON_SYN;
import static io.hexgate.datapath.abi.Protocols.PROTO_ICMP;
import static io.hexgate.datapath.abi.Protocols.PROTO_TCP;

/**
 * CT lifetimes in seconds (lib/abi.h HG_CT_LIFETIME_*): established TCP, TCP that has seen only SYNs, TCP
 * after a FIN or RST, UDP and other protocols, ICMP echo. 0 stands for the default, as in the program.
 */
public record CtLifetimes(int tcp, int syn, int close, int other, int icmp) {
  /** Cilium's defaults (cilium-policy.md §7.4). */
  public static final CtLifetimes DEFAULT = new CtLifetimes(8000, 60, 10, 60, 60);

  public CtLifetimes {
    for (int s : new int[] {tcp, syn, close, other, icmp}) {
      if (s < 0) {
        throw new IllegalArgumentException("conntrack lifetimes: seconds must not be negative: " + s);
      }
    }
  }

  /** The lifetime in seconds of an entry of {@code protocol} with CT flags {@code flags} (ct_lifetime). */
  public long seconds(int protocol, int flags) {
    int s;
    if (protocol == PROTO_TCP) {
      s = (flags & CT_CLOSING) != 0 ? or(close, DEFAULT.close)
          : (flags & CT_SEEN_NON_SYN) != 0 ? or(tcp, DEFAULT.tcp) : or(syn, DEFAULT.syn);
    } else if (protocol == PROTO_ICMP) {
      s = or(icmp, DEFAULT.icmp);
    } else {
      s = or(other, DEFAULT.other);
    }
    return s;
  }

  private static int or(int v, int dflt) {
    return v != 0 ? v : dflt;
  }
}
