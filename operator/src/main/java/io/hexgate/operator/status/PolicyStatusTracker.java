package io.hexgate.operator.status;

import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.FlowType;
import io.hexgate.contract.v1.L7FlowType;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.AgentReportListener;
import io.hexgate.operator.node.FlowBatchListener;
import io.hexgate.operator.node.NodeEnforcement;
import io.hexgate.operator.node.NodeRevisions;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.node.RenderedStateListener;
import io.hexgate.operator.policy.PolicySnapshot;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.policy.api.PolicyStatus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the status of every CNP/CCNP should say, kept from three inputs and turned into {@link
 * PolicyStatus} objects only when the {@link PolicyStatusWriter} asks for the policies that changed:
 *
 * <ul>
 *   <li>engine changes, as the {@link NodeStateHub} relays them once it has published the node states
 *       rendered from them (a {@link RenderedStateListener} of the hub, on the engine thread): which nodes
 *       have endpoints a policy selects, and the first revision of each such node that holds the
 *       policy's current rules;
 *   <li>agent Hellos, ACKs and NACKs (gRPC threads): the revision each node last reported, ok or not, and
 *       whether its kernel enforces at all ({@link NodeEnforcement});
 *   <li>flow batches (gRPC threads): allowed and denied counters per policy, counted only for policies
 *       that select endpoints of the node that sent them (an agent cannot raise another node's counters).
 * </ul>
 *
 * A node enforces a policy when it has accepted a revision at or after the one required for it and its
 * agent says the kernel enforces (not on the Java datapath, not after a failed load): {@link NodeTally}
 * judges the nodes, {@link PolicyConditions} words the conditions. Every input only marks policies dirty;
 * nothing here talks to the API server. Thread-safe (one lock, held briefly).
 */
public final class PolicyStatusTracker implements RenderedStateListener, AgentReportListener, FlowBatchListener {
  public static final int DEFAULT_NODE_LIMIT = 100;
  /**
   * Condition type present (status True) while the enforced rules use fields Hexgate does not enforce;
   * {@code Valid} stays True.
   */
  public static final String FIELDS_NOT_ENFORCED = "FieldsNotEnforced";

  private final NodeStateHub hub;
  private final PolicyValidity validity;
  private final Clock clock;
  private final int nodeLimit;
  private final Map<PolicyRef, TrackedPolicy> policies = new HashMap<>();
  private final Map<String, TrackedNode> nodes = new HashMap<>();
  private final Set<PolicyRef> dirty = new LinkedHashSet<>();
  private final NodeEnforcement kernels;
  private long foreignFlowPolicies;

  public PolicyStatusTracker(NodeStateHub hub, PolicyValidity validity, Clock clock, int nodeLimit) {
    this(hub, validity, clock, nodeLimit, new NodeEnforcement());
  }

  /** @param kernels where what each agent says about its kernel is kept, shared with the CiliumEndpoint writer */
  public PolicyStatusTracker(
      NodeStateHub hub, PolicyValidity validity, Clock clock, int nodeLimit, NodeEnforcement kernels) {
    this.kernels = kernels;
    if (nodeLimit < 0) {
      throw new IllegalArgumentException("node limit must not be negative, was " + nodeLimit);
    }
    this.hub = hub;
    this.validity = validity;
    this.clock = clock;
    this.nodeLimit = nodeLimit;
    validity.addListener(this::markDirty);
  }

  static boolean hasStatus(PolicyRef ref) {
    return ref.kind().equals(PolicyRef.CNP) || ref.kind().equals(PolicyRef.CCNP);
  }

  private synchronized void markDirty(PolicyRef ref) {
    if (hasStatus(ref)) {
      dirty.add(ref);
    }
  }

  // ------------------------------------------------------------------ inputs

  @Override
  public synchronized void rendered(PolicySnapshot engine) {
    Set<PolicyRef> rulesChanged = new HashSet<>();
    Set<PolicyRef> present = new HashSet<>();
    for (PolicyRef ref : engine.policyRefs()) {
      if (!hasStatus(ref)) {
        continue;
      }
      present.add(ref);
      Object rules = engine.rules(ref);
      TrackedPolicy t = policies.computeIfAbsent(ref, r -> new TrackedPolicy());
      if (t.rules != rules) {
        t.rules = rules;
        rulesChanged.add(ref);
      }
    }
    for (PolicyRef gone : new ArrayList<>(policies.keySet())) {
      if (!present.contains(gone)) {
        policies.remove(gone);
        dirty.add(gone);
      }
    }
    for (String node : hub.nodes()) {
      NodeRevisions revisions = hub.find(node);
      if (revisions == null) {
        continue;
      }
      NodeRevisions.Published now = revisions.current();
      TrackedNode n = nodes.computeIfAbsent(node, x -> new TrackedNode());
      if (now == n.seen) {
        continue;
      }
      n.seen = now;
      Set<PolicyRef> selecting = now.state().policies();
      if (selecting.equals(n.policies)) {
        continue;
      }
      for (PolicyRef ref : n.policies) {
        if (!selecting.contains(ref)) {
          TrackedPolicy t = policies.get(ref);
          if (t != null && t.required.remove(node) != null) {
            dirty.add(ref);
          }
        }
      }
      for (PolicyRef ref : selecting) {
        TrackedPolicy t = policies.get(ref);
        if (t != null && !t.required.containsKey(node)) {
          t.required.put(node, now.revision());
          dirty.add(ref);
        }
      }
      n.policies = selecting;
    }
    for (PolicyRef ref : rulesChanged) {
      TrackedPolicy t = policies.get(ref);
      t.required.replaceAll((node, r) -> nodes.get(node).seen.revision());
      dirty.add(ref);
    }
  }

  @Override
  public synchronized void kernelEnforcement(String node, boolean enforcing, String reason) {
    if (kernels.report(node, enforcing, reason)) {
      TrackedNode n = nodes.get(node);
      if (n != null) {
        dirty.addAll(n.policies);
      }
    }
  }

  @Override
  public synchronized void reported(AgentReport report) {
    kernels.report(report.node(), report.kernelEnforcing(), report.notEnforcingReason());
    TrackedNode n = nodes.computeIfAbsent(report.node(), x -> new TrackedNode());
    n.reported = true;
    n.reportedRevision = report.revision();
    if (report.accepted()) {
      n.acceptedRevision = Math.max(n.acceptedRevision, report.revision());
    }
    n.ok = report.ok();
    if (!report.error().isEmpty()) {
      n.error = report.error();
    } else {
      n.error =
          report.endpointErrors().entrySet().stream()
              .map(e -> e.getKey().namespace() + "/" + e.getKey().name() + ": " + e.getValue())
              .sorted()
              .collect(Collectors.joining("; "));
    }
    n.lastUpdated = clock.instant();
    for (PolicyRef ref : n.policies) {
      dirty.add(ref);
    }
    for (PolicyRef ref : report.policies()) {
      markDirty(ref);
    }
  }

  @Override
  public void received(String node, FlowBatch batch) {
    Map<PolicyRef, long[]> counts = new HashMap<>();
    for (Flow f : batch.getFlowsList()) {
      int slot = slot(f);
      if (slot < 0) {
        continue;
      }
      for (io.hexgate.contract.v1.PolicyRef p : f.getPoliciesList()) {
        PolicyRef ref = new PolicyRef(p.getKind(), p.getNamespace(), p.getName());
        if (hasStatus(ref)) {
          counts.computeIfAbsent(ref, r -> new long[2])[slot]++;
        }
      }
    }
    if (counts.isEmpty()) {
      return;
    }
    synchronized (this) {
      TrackedNode n = nodes.get(node);
      Set<PolicyRef> local = n == null ? Set.of() : n.policies;
      counts.forEach(
          (ref, c) -> {
            TrackedPolicy t = policies.get(ref);
            if (!local.contains(ref)) {
              // only a policy selecting one of the node's endpoints can have judged its packets
              foreignFlowPolicies += c[0] + c[1];
            } else if (t != null) {
              t.allowed += c[0];
              t.denied += c[1];
              dirty.add(ref);
            }
          });
    }
  }

  /**
   * Which counter a flow adds to: 0 allowed, 1 denied, -1 none. A connection redirected to the L7 proxy
   * was allowed at L3/L4; the proxy then judges each request on it (a 403 is that policy's denial). A
   * response only answers a request already counted.
   */
  private static int slot(Flow f) {
    if (f.getType() == FlowType.FLOW_TYPE_L7 && (f.getIsReply() || f.getL7().getType() == L7FlowType.L7_FLOW_TYPE_RESPONSE)) {
      return -1;
    }
    return switch (f.getVerdict()) {
      case VERDICT_FORWARDED, VERDICT_REDIRECTED -> 0;
      case VERDICT_DROPPED -> 1;
      default -> -1;
    };
  }

  // ------------------------------------------------------------------ output

  /** The policies whose status may have changed since the last call, cleared. */
  public synchronized Set<PolicyRef> takeDirty() {
    Set<PolicyRef> out = new LinkedHashSet<>(dirty);
    dirty.clear();
    return out;
  }

  /** Puts policies back for the next round, e.g. after a failed write. */
  public synchronized void retry(Set<PolicyRef> refs) {
    dirty.addAll(refs);
  }

  /**
   * The status the policy should have now, without transition times (the writer carries them over), or
   * null when the operator no longer knows the policy (deleted).
   */
  public PolicyStatus desired(PolicyRef ref) {
    PolicyValidity.Result v = validity.get(ref).orElse(null);
    if (v == null) {
      return null;
    }
    PolicyStatus s = new PolicyStatus();
    s.observedGeneration = v.observedGeneration();
    NodeTally tally;
    Long fullRevision = null;
    synchronized (this) {
      TrackedPolicy t = policies.get(ref);
      tally = NodeTally.of(t == null ? Map.of() : t.required, nodes::get, kernels);
      if (t != null && v.valid() && v.enforcedGeneration() != null && tally.allEnforcing()) {
        t.fullyEnforced = v.enforcedGeneration();
      }
      if (t != null) {
        fullRevision = t.fullyEnforced;
        s.flows = new PolicyStatus.FlowCounters();
        s.flows.allowed = t.allowed;
        s.flows.denied = t.denied;
      }
    }
    s.nodes = tally.listed(nodeLimit);
    s.enforcement = new PolicyStatus.EnforcementSummary();
    s.enforcement.enforcing = tally.enforcing;
    s.enforcement.selectedNodes = tally.selected;
    s.enforcement.nodes = tally.enforcing + "/" + tally.selected;
    s.enforcement.revision = fullRevision;
    s.conditions = PolicyConditions.of(v, tally);
    return s;
  }

  /** Flow policy references ignored because the policy selects no endpoint of the node that sent them. */
  public synchronized long foreignFlowPolicies() {
    return foreignFlowPolicies;
  }

  /** What each node's agent says about its kernel. */
  public NodeEnforcement kernels() {
    return kernels;
  }

  /** Nodes with selected endpoints, for tests and the benchmark. */
  public synchronized Map<String, Long> requiredRevisions(PolicyRef ref) {
    TrackedPolicy t = policies.get(ref);
    return t == null ? Map.of() : new LinkedHashMap<>(t.required);
  }
}
