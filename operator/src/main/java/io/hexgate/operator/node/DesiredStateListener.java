package io.hexgate.operator.node;

import io.hexgate.operator.policy.PolicyEngine;
import java.util.Set;

/**
 * Told after every change to the policy engine, on the single thread that writes the engine, so that it
 * may read the engine during the call and must not keep it for later.
 */
public interface DesiredStateListener {
  /**
   * @param nodes the nodes whose endpoints (or their rule maps) may have changed; empty means every node
   */
  void changed(PolicyEngine engine, Set<String> nodes);
}
