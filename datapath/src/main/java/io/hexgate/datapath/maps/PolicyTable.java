package io.hexgate.datapath.maps;

import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import java.util.Map;

/** hg_policy as the program reads it (policy_lookup in lib/policy.h): the identity's own table, else 0's. */
public final class PolicyTable {
  private final Map<PolicyKey, PolicyValue> entries;

  public PolicyTable(Map<PolicyKey, PolicyValue> entries) {
    this.entries = entries;
  }

  /** policy_table_lookup(): null when the identity has no table of its own. */
  private PolicyValue table(int endpoint, int identity, int direction, int protocol, int port) {
    PolicyValue proto = entries.get(PolicyKey.proto(endpoint, identity, direction, protocol));
    if (proto == null) {
      return entries.get(PolicyKey.table(endpoint, identity, direction));
    }
    for (int len = 16; len >= 1; len--) {
      if ((proto.prefixes() & (1 << len)) != 0) {
        PolicyValue v = entries.get(PolicyKey.block(endpoint, identity, direction, protocol, len, port));
        if (v != null) {
          return v;
        }
      }
    }
    return proto;
  }

  /** null is no match. */
  public PolicyValue lookup(int endpoint, int remoteIdentity, int direction, int protocol, int port) {
    PolicyValue v = table(endpoint, remoteIdentity, direction, protocol, port);
    return v != null ? v : table(endpoint, 0, direction, protocol, port);
  }
}
