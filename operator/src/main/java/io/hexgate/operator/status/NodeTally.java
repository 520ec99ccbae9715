package io.hexgate.operator.status;

import io.hexgate.operator.node.NodeEnforcement;
import io.hexgate.operator.policy.api.PolicyStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One policy's nodes judged for its status: per node whether it enforces the policy and why not, and the
 * nodes sorted into failing, not enforcing in the kernel, and not there yet.
 */
final class NodeTally {
  final int selected;
  int enforcing;
  final List<String> pending = new ArrayList<>();
  final List<String> failing = new ArrayList<>();
  final List<String> unenforced = new ArrayList<>();
  final Map<String, PolicyStatus.NodePolicyStatus> perNode = new TreeMap<>();

  private NodeTally(int selected) {
    this.selected = selected;
  }

  /**
   * A node enforces the policy when it has accepted a revision at or after the one required for it and its
   * agent says the kernel enforces.
   *
   * @param required node to the first revision of it holding the policy's current rules
   * @param nodes what is tracked of a node, or null when its agent never reported
   */
  static NodeTally of(Map<String, Long> required, Function<String, TrackedNode> nodes, NodeEnforcement kernels) {
    NodeTally tally = new NodeTally(required.size());
    for (Map.Entry<String, Long> e : new TreeMap<>(required).entrySet()) {
      tally.add(e.getKey(), e.getValue(), nodes.apply(e.getKey()), kernels.of(e.getKey()).orElse(null));
    }
    return tally;
  }

  private void add(String node, long requiredRevision, TrackedNode n, NodeEnforcement.State kernel) {
    PolicyStatus.NodePolicyStatus ns = new PolicyStatus.NodePolicyStatus();
    ns.enforcing = n != null && n.acceptedRevision >= requiredRevision && kernel != null && kernel.enforcing();
    ns.ok = n == null || n.ok;
    if (kernel != null && !kernel.enforcing()) {
      ns.notEnforcingReason = kernel.reason();
    }
    if (n != null && n.reported) {
      ns.localPolicyRevision = n.reportedRevision;
      ns.lastUpdated = n.lastUpdated.toString();
      if (!n.error.isEmpty()) {
        ns.error = n.error;
      }
    }
    if (ns.enforcing) {
      enforcing++;
    }
    if (!ns.ok) {
      failing.add(node);
    } else if (ns.notEnforcingReason != null) {
      unenforced.add(node + " (" + ns.notEnforcingReason + ")");
    } else if (!ns.enforcing) {
      pending.add(node);
    }
    perNode.put(node, ns);
  }

  boolean allEnforcing() {
    return enforcing == selected;
  }

  /** Beyond {@code limit} selected nodes only the failing and not enforcing ones are listed. */
  Map<String, PolicyStatus.NodePolicyStatus> listed(int limit) {
    if (selected > limit) {
      perNode.values().removeIf(ns -> ns.ok && ns.notEnforcingReason == null);
    }
    return perNode.isEmpty() ? null : perNode;
  }
}
