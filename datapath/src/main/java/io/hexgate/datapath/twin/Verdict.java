package io.hexgate.datapath.twin;

import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.ProxyMarks;
import java.util.Optional;

/**
 * What the datapath did with one packet: the tc action ({@link #TC_ACT_OK}, {@link #TC_ACT_SHOT}, or
 * {@link #TC_ACT_REDIRECT}: into lo's ingress, for the ingress proxy), the reason left in {@code skb->cb[0]}
 * (0 forwarded), the packet as it leaves (rewritten when translated), the ring-buffer event it emitted, if
 * any (with time 0), and {@code skb->mark} as it leaves ({@link ProxyMarks#MARK_TO_PROXY} when it goes to
 * the proxy).
 */
public record Verdict(int tcAction, int reason, byte[] packet, Optional<Event> event, int mark) {
  public static final int TC_ACT_OK = 0;
  public static final int TC_ACT_SHOT = 2;
  public static final int TC_ACT_REDIRECT = 7;

  /** Not dropped: on its way, to the pod or the proxy. */
  public boolean forwarded() {
    return tcAction != TC_ACT_SHOT;
  }

  /**
   * On its way to the node's L7 proxy: from_pod's through the node's stack (its mark routes it to the local
   * socket of its tuple, the egress listener for a SYN), to_pod's through lo's ingress, where to_proxy hands
   * a SYN to the ingress listener.
   */
  public boolean toProxy() {
    return forwarded() && ProxyMarks.is(mark, ProxyMarks.MARK_TO_PROXY);
  }
}
