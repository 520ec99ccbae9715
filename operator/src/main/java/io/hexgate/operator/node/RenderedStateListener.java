package io.hexgate.operator.node;

import io.hexgate.operator.policy.PolicySnapshot;

/**
 * Told by the {@link NodeStateHub} once it has published the node states rendered from a snapshot, so
 * that the hub's current revisions hold what the snapshot holds. On the engine's writer thread.
 */
public interface RenderedStateListener {
  void rendered(PolicySnapshot snapshot);
}
