package io.hexgate.datapath.abi;

/**
 * HG_MARK_*, HG_PROXY_SLOT_*, HG_LOOPBACK_IFINDEX: how packets reach the node's L7 proxy (Cilium's mark
 * values, under {@link #MARK_MASK}) and the slots of its listeners in {@code hg_proxy_sockets}.
 */
public final class ProxyMarks {
  private ProxyMarks() {}

  /** The bits of skb->mark (and SO_MARK) these marks use. */
  public static final int MARK_MASK = 0x0F00;
  /** A packet for a local proxy socket: the policy route {@code fwmark 0x200/0xf00} delivers it locally. */
  public static final int MARK_TO_PROXY = 0x0200;
  /** SO_MARK of the proxy's sockets of connections the destination's ingress policy redirected. */
  public static final int MARK_FROM_INGRESS_PROXY = 0x0A00;
  /** SO_MARK of the proxy's sockets of connections the source's egress policy redirected. */
  public static final int MARK_FROM_EGRESS_PROXY = 0x0B00;

  /** hg_proxy_sockets key of the ingress listener. */
  public static final int SLOT_INGRESS = 0;
  /** hg_proxy_sockets key of the egress listener. */
  public static final int SLOT_EGRESS = 1;

  /** lo, where to_pod hands the ingress proxy's packets (its ingress hook runs to_proxy). */
  public static final int LOOPBACK_IFINDEX = 1;

  /** Whether {@code mark} is {@code which} under the mask. */
  public static boolean is(int mark, int which) {
    return (mark & MARK_MASK) == which;
  }
}
