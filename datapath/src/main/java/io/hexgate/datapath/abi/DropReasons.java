package io.hexgate.datapath.abi;

import java.util.Map;

/**
 * The drop reasons of lib/abi.h (Cilium's numbers), and Cilium's text for each, as {@code
 * cilium_drop_count_total} labels it. AbiConstantsTest fails when the header and this class disagree.
 */
public final class DropReasons {
  private DropReasons() {}

  public static final int FORWARDED = 0;
  public static final int DROP_INVALID_SIP = 132;
  public static final int DROP_POLICY = 133;
  public static final int DROP_INVALID = 134;
  public static final int DROP_UNKNOWN_L3 = 139;
  public static final int DROP_UNROUTABLE = 151;
  public static final int DROP_CT_CREATE_FAILED = 155;
  public static final int DROP_FRAG_NOT_SUPPORTED = 157;
  public static final int DROP_NO_SERVICE = 158;
  public static final int DROP_PROXY_LOOKUP_FAILED = 178;
  public static final int DROP_PROXY_ASSIGN_FAILED = 179;
  public static final int DROP_PROXY_UNSUPPORTED = 180;
  public static final int DROP_POLICY_DENY = 181;
  public static final int DROP_EP_NOT_READY = 203;

  private static final Map<Integer, String> TEXT =
      Map.ofEntries(
          Map.entry(DROP_INVALID_SIP, "Invalid source ip"),
          Map.entry(DROP_POLICY, "Policy denied"),
          Map.entry(DROP_INVALID, "Invalid packet"),
          Map.entry(DROP_UNKNOWN_L3, "Unsupported L3 protocol"),
          Map.entry(DROP_UNROUTABLE, "Stale or unroutable IP"),
          Map.entry(DROP_CT_CREATE_FAILED, "CT: Map insertion failed"),
          Map.entry(DROP_FRAG_NOT_SUPPORTED, "IP fragmentation not supported"),
          Map.entry(DROP_NO_SERVICE, "Service backend not found"),
          Map.entry(DROP_PROXY_LOOKUP_FAILED, "Proxy lookup failed"),
          Map.entry(DROP_PROXY_ASSIGN_FAILED, "Proxy assignment failed"),
          Map.entry(DROP_PROXY_UNSUPPORTED, "Proxy redirection not supported for protocol"),
          Map.entry(DROP_POLICY_DENY, "Policy denied by denylist"),
          Map.entry(DROP_EP_NOT_READY, "Endpoint policy program not available"));

  /** Every drop reason the datapath reports, by number, with its text. */
  public static Map<Integer, String> all() {
    return TEXT;
  }

  public static String text(int reason) {
    String t = TEXT.get(reason);
    return t != null ? t : "Unknown reason (" + reason + ")";
  }
}
