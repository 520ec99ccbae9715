package io.hexgate.datapath.abi;

/** HG_VERDICT_* of a hg_policy value, and HG_MATCH_*, Cilium's policy match types (cilium-policy.md §7.3). */
public final class Verdicts {
  private Verdicts() {}

  public static final int VERDICT_NONE = 0;
  public static final int VERDICT_ALLOW = 1;
  public static final int VERDICT_DENY = 2;
  public static final int VERDICT_REDIRECT = 3;

  public static final int MATCH_NONE = 0;
  public static final int MATCH_L3_ONLY = 1;
  public static final int MATCH_L3_L4 = 2;
  public static final int MATCH_L4_ONLY = 3;
  public static final int MATCH_ALL = 4;
  public static final int MATCH_L3_PROTO = 5;
  public static final int MATCH_PROTO_ONLY = 6;
}
