package io.hexgate.datapath.maps;

import io.hexgate.datapath.maps.Layouts.PolicyKey;
import io.hexgate.datapath.maps.Layouts.PolicyValue;
import java.util.Map;
import java.util.TreeSet;

/** hg_policy as the program reads it: longest-prefix match, identity's own table then identity 0. */
public final class PolicyTable {
  private final Map<PolicyKey, PolicyValue> entries;
  private final int[] lengths;

  public PolicyTable(Map<PolicyKey, PolicyValue> entries) {
    this.entries = entries;
    TreeSet<Integer> l = new TreeSet<>();
    entries.keySet().forEach(k -> l.add(k.prefixLen()));
    this.lengths = l.descendingSet().stream().mapToInt(Integer::intValue).toArray();
  }

  /** The entry with the longest prefix covering {@code key} (a full 96-bit key), or null. */
  public PolicyValue longestMatch(PolicyKey key) {
    for (int len : lengths) {
      PolicyValue v = entries.get(key.masked(len));
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  /** policy_lookup() of hexgate.bpf.c: null is no match. */
  public PolicyValue lookup(int endpoint, int remoteIdentity, int direction, int protocol, int port) {
    PolicyValue v = longestMatch(
        new PolicyKey(Layouts.POLICY_FULL_PREFIX, endpoint, remoteIdentity, direction, protocol, port));
    return v != null ? v
        : longestMatch(new PolicyKey(Layouts.POLICY_FULL_PREFIX, endpoint, 0, direction, protocol, port));
  }
}
