package io.hexgate.datapath.abi;

/** HG_PROTO_*: protocol numbers as they appear in policy keys; every other IP protocol is looked up as 0. */
public final class Protocols {
  private Protocols() {}

  public static final int PROTO_OTHER = 0;
  public static final int PROTO_ICMP = 1;
  public static final int PROTO_TCP = 6;
  public static final int PROTO_UDP = 17;
  public static final int PROTO_SCTP = 132;
}
