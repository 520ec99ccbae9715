package io.hexgate.operator.status;

import io.hexgate.operator.node.NodeRevisions;
import io.hexgate.operator.policy.PolicyRef;
import java.time.Instant;
import java.util.Set;

/**
 * What {@link PolicyStatusTracker} keeps per node: the node state it last saw published, the policies that
 * select endpoints there, and what the node's agent last reported. Guarded by the tracker's lock.
 */
final class TrackedNode {
  NodeRevisions.Published seen;
  Set<PolicyRef> policies = Set.of();
  boolean reported;
  long reportedRevision;
  long acceptedRevision;
  boolean ok = true;
  String error = "";
  Instant lastUpdated;
}
