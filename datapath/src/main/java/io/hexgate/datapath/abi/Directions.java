package io.hexgate.datapath.abi;

/** HG_DIR_*: Cilium's numbers in policy-verdict events, plus the CT service entries and the uplink's counters. */
public final class Directions {
  private Directions() {}

  public static final int DIR_INGRESS = 1;
  public static final int DIR_EGRESS = 2;
  /** CT entries recording which backend a service connection uses, keyed by the frontend tuple. */
  public static final int DIR_SERVICE = 3;
  /** Counter slot of from_netdev (metrics only). */
  public static final int DIR_NETDEV = 3;
}
