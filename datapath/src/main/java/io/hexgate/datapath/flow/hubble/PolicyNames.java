package io.hexgate.datapath.flow.hubble;

import io.hexgate.contract.hubble.flow.Policy;
import io.hexgate.contract.v1.PolicyRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hexgate's policy references as Hubble's Policy, with the labels Cilium derives from the policy object.
 * Flows repeat the same few references: each is converted once.
 */
final class PolicyNames {
  private static final int MAX_CACHED = 10_000;

  private final Map<PolicyRef, Policy> cache = new ConcurrentHashMap<>();

  Policy policy(PolicyRef ref) {
    Policy p = cache.get(ref);
    if (p == null) {
      p = convert(ref);
      if (cache.size() >= MAX_CACHED) {
        // deleted policies would otherwise stay forever
        cache.clear();
      }
      cache.put(ref, p);
    }
    return p;
  }

  List<Policy> policies(List<PolicyRef> refs) {
    if (refs.isEmpty()) {
      return List.of();
    }
    List<Policy> out = new ArrayList<>(refs.size());
    for (PolicyRef r : refs) {
      out.add(policy(r));
    }
    return out;
  }

  private static Policy convert(PolicyRef ref) {
    Policy.Builder b = Policy.newBuilder()
        .setKind(ref.getKind())
        .setName(ref.getName())
        .setNamespace(ref.getNamespace())
        .addLabels("k8s:io.cilium.k8s.policy.derived-from=" + ref.getKind())
        .addLabels("k8s:io.cilium.k8s.policy.name=" + ref.getName());
    if (!ref.getNamespace().isEmpty()) {
      b.addLabels("k8s:io.cilium.k8s.policy.namespace=" + ref.getNamespace());
    }
    return b.build();
  }
}
