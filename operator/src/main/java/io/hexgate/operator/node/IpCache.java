package io.hexgate.operator.node;

import io.hexgate.operator.policy.CidrPrefix;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.policy.PolicyEngine;
import java.util.HashMap;
import java.util.Map;

/**
 * The cluster-wide address → identity table every node receives: each pod IP as a host prefix, and each
 * CIDR prefix a rule names. Immutable.
 */
public record IpCache(Map<String, Long> entries) {
  public static final IpCache EMPTY = new IpCache(Map.of());

  public IpCache {
    entries = Map.copyOf(entries);
  }

  /** Reads the table off the engine; call it on the engine's writer thread. */
  public static IpCache of(PolicyEngine engine) {
    Map<String, Long> out = new HashMap<>();
    for (Map.Entry<CidrPrefix, Long> e : engine.cidrIdentities().entrySet()) {
      out.put(e.getKey().toString(), e.getValue());
    }
    // Pods after CIDRs: a pod's own /32 is more specific than any rule's prefix anyway.
    for (Endpoint ep : engine.endpoints()) {
      Identity id = engine.identityOf(ep.key());
      if (ep.ip() != null && !ep.ip().isEmpty() && id != null) {
        out.put(ep.ip() + (ep.ip().indexOf(':') >= 0 ? "/128" : "/32"), id.id());
      }
    }
    return new IpCache(out);
  }
}
