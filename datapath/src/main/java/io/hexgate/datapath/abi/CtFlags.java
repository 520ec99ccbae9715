package io.hexgate.datapath.abi;

/** HG_CT_*: the flags of a hg_ct value. */
public final class CtFlags {
  private CtFlags() {}

  /** nat_addr/nat_port are set. */
  public static final int CT_NAT = 1;
  /** A connection's reply entry: its reversed tuple under the other hook's direction. */
  public static final int CT_REPLY = 2;
  /** The pod that receives what the entry passes is on this node (host routing may deliver it). */
  public static final int CT_LOCAL = 4;
  /** TCP: a packet without SYN passed the entry (until then it lives for the SYN lifetime). */
  public static final int CT_SEEN_NON_SYN = 8;
  /** TCP: a FIN or RST passed the entry: it lives for the closing lifetime. */
  public static final int CT_CLOSING = 16;
  /** TCP: recorded by a packet without SYN: no reply entry, and the reversed lookup ignores it. */
  public static final int CT_MIDSTREAM = 32;
  /** TCP: the connection goes through the node's L7 proxy (its policy entry is REDIRECT). */
  public static final int CT_PROXY = 64;
}
