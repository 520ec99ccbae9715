package io.hexgate.operator.node;

import io.hexgate.operator.policy.PolicyEngine;
import java.util.Set;

/**
 * Told after every change the operator makes to the policy engine. Called on the engine's writer thread,
 * which owns the engine: read what you need from it before returning, keep no reference to its mutable
 * parts, and do not block (hand slow work to another thread).
 */
@FunctionalInterface
public interface DesiredStateListener {
  /**
   * @param engine the engine, just changed
   * @param nodes the nodes whose endpoints' rule maps may have changed; empty means every node (also used
   *     when the cluster-wide IP to identity table changed)
   */
  void changed(PolicyEngine engine, Set<String> nodes);
}
