package io.hexgate.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.FlowBatch;
import io.hexgate.contract.v1.Verdict;
import io.hexgate.operator.node.AgentReport;
import io.hexgate.operator.node.AgentReportListener;
import io.hexgate.operator.node.FlowBatchListener;
import io.hexgate.operator.node.NodeEnforcement;
import io.hexgate.operator.node.NodeRevisions;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.node.RenderedStateListener;
import io.hexgate.operator.policy.FieldError;
import io.hexgate.operator.policy.PolicySnapshot;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.policy.api.PolicyStatus;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * agent says the kernel enforces (not on the Java datapath, not after a failed load). Every
 * input only marks policies dirty; nothing here talks to the API server. Thread-safe (one lock, held
 * briefly).
 */
public final class PolicyStatusTracker implements RenderedStateListener, AgentReportListener, FlowBatchListener {
  public static final int DEFAULT_NODE_LIMIT = 100;
  private static final int NODES_IN_MESSAGE = 5;
  private static final int NOTES_IN_MESSAGE = 20;
  /**
   * Condition type present (status True) while the enforced rules use fields Hexgate does not enforce;
   * {@code Valid} stays True.
   */
  public static final String FIELDS_NOT_ENFORCED = "FieldsNotEnforced";

  private static final class Track {
    Object rules; // the engine's rule list instance: a new one means new rules
    final Map<String, Long> required = new HashMap<>(); // node -> first revision holding the rules
    long allowed;
    long denied;
    Long fullyEnforced; // the latest generation every selected node was seen enforcing
  }

  private static final class NodeTrack {
    NodeRevisions.Published seen;
    Set<PolicyRef> policies = Set.of();
    boolean reported;
    long reportedRevision;
    long acceptedRevision;
    boolean ok = true;
    String error = "";
    Instant lastUpdated;
  }

  private final NodeStateHub hub;
  private final PolicyValidity validity;
  private final Clock clock;
  private final int nodeLimit;
  private final Map<PolicyRef, Track> policies = new HashMap<>();
  private final Map<String, NodeTrack> nodes = new HashMap<>();
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
      Track t = policies.computeIfAbsent(ref, r -> new Track());
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
      NodeTrack n = nodes.computeIfAbsent(node, x -> new NodeTrack());
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
          Track t = policies.get(ref);
          if (t != null && t.required.remove(node) != null) {
            dirty.add(ref);
          }
        }
      }
      for (PolicyRef ref : selecting) {
        Track t = policies.get(ref);
        if (t != null && !t.required.containsKey(node)) {
          t.required.put(node, now.revision());
          dirty.add(ref);
        }
      }
      n.policies = selecting;
    }
    for (PolicyRef ref : rulesChanged) {
      Track t = policies.get(ref);
      t.required.replaceAll((node, r) -> nodes.get(node).seen.revision());
      dirty.add(ref);
    }
  }

  @Override
  public synchronized void kernelEnforcement(String node, boolean enforcing, String reason) {
    if (kernels.report(node, enforcing, reason)) {
      NodeTrack n = nodes.get(node);
      if (n != null) {
        dirty.addAll(n.policies);
      }
    }
  }

  @Override
  public synchronized void reported(AgentReport report) {
    kernels.report(report.node(), report.kernelEnforcing(), report.notEnforcingReason());
    NodeTrack n = nodes.computeIfAbsent(report.node(), x -> new NodeTrack());
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
      int slot = f.getVerdict() == Verdict.VERDICT_FORWARDED ? 0 : f.getVerdict() == Verdict.VERDICT_DROPPED ? 1 : -1;
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
      NodeTrack n = nodes.get(node);
      Set<PolicyRef> local = n == null ? Set.of() : n.policies;
      counts.forEach(
          (ref, c) -> {
            Track t = policies.get(ref);
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
    List<Condition> conditions = new ArrayList<>();
    conditions.add(
        v.valid()
            ? condition("Valid", true, "Valid", "Policy validation succeeded", v.observedGeneration())
            : condition("Valid", false, "InvalidPolicy", errors(v.errors()), v.observedGeneration()));
    if (!v.notEnforced().isEmpty()) {
      conditions.add(
          condition(FIELDS_NOT_ENFORCED, true, "UnsupportedFields", notEnforced(v.notEnforced()), v.observedGeneration()));
    }

    int selected;
    int enforcing = 0;
    Long fullRevision = null;
    List<String> pending = new ArrayList<>();
    List<String> failing = new ArrayList<>();
    List<String> unenforced = new ArrayList<>();
    Map<String, PolicyStatus.NodePolicyStatus> perNode = new TreeMap<>();
    synchronized (this) {
      Track t = policies.get(ref);
      Map<String, Long> required = t == null ? Map.of() : new TreeMap<>(t.required);
      selected = required.size();
      for (Map.Entry<String, Long> e : required.entrySet()) {
        NodeTrack n = nodes.get(e.getKey());
        NodeEnforcement.State kernel = kernels.of(e.getKey()).orElse(null);
        PolicyStatus.NodePolicyStatus ns = new PolicyStatus.NodePolicyStatus();
        ns.enforcing = n != null && n.acceptedRevision >= e.getValue() && kernel != null && kernel.enforcing();
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
          failing.add(e.getKey());
        } else if (ns.notEnforcingReason != null) {
          unenforced.add(e.getKey() + " (" + ns.notEnforcingReason + ")");
        } else if (!ns.enforcing) {
          pending.add(e.getKey());
        }
        perNode.put(e.getKey(), ns);
      }
      if (t != null && v.valid() && v.enforcedGeneration() != null && enforcing == selected) {
        t.fullyEnforced = v.enforcedGeneration();
      }
      if (t != null) {
        fullRevision = t.fullyEnforced;
        s.flows = new PolicyStatus.FlowCounters();
        s.flows.allowed = t.allowed;
        s.flows.denied = t.denied;
      }
    }
    if (selected > nodeLimit) {
      perNode.values().removeIf(ns -> ns.ok && ns.notEnforcingReason == null);
    }
    s.nodes = perNode.isEmpty() ? null : perNode;
    s.enforcement = new PolicyStatus.EnforcementSummary();
    s.enforcement.enforcing = enforcing;
    s.enforcement.selectedNodes = selected;
    s.enforcement.nodes = enforcing + "/" + selected;
    s.enforcement.revision = fullRevision;

    Long enforced = v.enforcedGeneration();
    if (enforced == null) {
      conditions.add(condition("Enforced", false, "NeverValid", "no generation of the policy was ever valid", v.observedGeneration()));
    } else if (!v.valid()) {
      conditions.add(
          condition(
              "Enforced",
              false,
              "LatestGenerationInvalid",
              "generation " + v.observedGeneration() + " is invalid; generation " + enforced + " stays in force",
              v.observedGeneration()));
    } else if (enforcing == selected) {
      conditions.add(
          condition(
              "Enforced",
              true,
              selected == 0 ? "NoSelectedEndpoints" : "Enforced",
              selected == 0 ? "no node has endpoints the policy selects" : "enforced on all " + selected + " nodes with selected endpoints",
              v.observedGeneration()));
    } else {
      // a node that failed, then one whose kernel does not enforce, then one not there yet: the reason
      // names the first kind present, the message every kind
      List<String> parts = new ArrayList<>();
      String reason = null;
      if (!failing.isEmpty()) {
        reason = "AgentError";
        parts.add(failing.size() + " of " + selected + " nodes failed: " + names(failing));
      }
      if (!unenforced.isEmpty()) {
        reason = reason == null ? "KernelNotEnforcing" : reason;
        parts.add(unenforced.size() + " of " + selected + " nodes do not enforce in the kernel: " + names(unenforced));
      }
      if (!pending.isEmpty()) {
        reason = reason == null ? "Pending" : reason;
        parts.add(pending.size() + " of " + selected + " nodes have not acknowledged it yet: " + names(pending));
      }
      conditions.add(
          condition("Enforced", false, reason == null ? "Pending" : reason, String.join("; ", parts), v.observedGeneration()));
    }
    s.conditions = conditions;
    return s;
  }

  private static String names(List<String> nodes) {
    String shown = String.join(", ", nodes.subList(0, Math.min(NODES_IN_MESSAGE, nodes.size())));
    return nodes.size() > NODES_IN_MESSAGE ? shown + ", ..." : shown;
  }

  /** The enforced rules' fields Hexgate does not enforce, each with what happens instead. */
  private static String notEnforced(List<String> notes) {
    List<String> shown = notes.subList(0, Math.min(NOTES_IN_MESSAGE, notes.size()));
    return notes.size() + (notes.size() == 1 ? " field is" : " fields are") + " not enforced: " + String.join("; ", shown)
        + (notes.size() > NOTES_IN_MESSAGE ? "; and " + (notes.size() - NOTES_IN_MESSAGE) + " more" : "");
  }

  private static String errors(List<FieldError> errors) {
    return errors.stream().map(FieldError::toString).collect(Collectors.joining("; "));
  }

  private static Condition condition(String type, boolean status, String reason, String message, Long generation) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status ? "True" : "False")
        .withReason(reason)
        .withMessage(message)
        .withObservedGeneration(generation)
        .build();
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
    Track t = policies.get(ref);
    return t == null ? Map.of() : new LinkedHashMap<>(t.required);
  }
}
