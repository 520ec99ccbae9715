package io.hexgate.operator.node;

import io.hexgate.operator.policy.PolicySnapshot;
import java.util.Set;

/**
 * Told after every change to the policy engine, on the single thread that writes the engine, with an
 * immutable snapshot of it. Listeners learn nothing from one another: each must be correct whatever the
 * order they were registered in (one that needs what another made of the change, as the status tracker
 * needs the hub's revisions, listens to that other instead).
 */
public interface DesiredStateListener {
  /**
   * @param nodes the nodes whose endpoints (or their rule maps) may have changed; empty means every node
   */
  void changed(PolicySnapshot engine, Set<String> nodes);
}
