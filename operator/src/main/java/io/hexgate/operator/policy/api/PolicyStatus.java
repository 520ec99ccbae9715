package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;
import java.util.Map;

/**
 * Status of a CNP/CCNP, written by the operator alone (the leader's status writer), aggregated from
 * what the node agents ACK: validity, enforcement per node and a summary, and flow counters.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolicyStatus {
  /** {@code Valid} (the latest generation passed validation) and {@code Enforced}. */
  public List<Condition> conditions;

  /** The generation these conditions describe. */
  public Long observedGeneration;

  /** Nodes enforcing the policy's latest valid generation among the nodes with selected endpoints. */
  public EnforcementSummary enforcement;

  /**
   * Per node with selected endpoints: every node up to the operator's limit (default 100), beyond it
   * only the failing ones.
   */
  public Map<String, NodePolicyStatus> nodes;

  /** Flows the agents reported this policy allowed or denied, since the operator started leading. */
  public FlowCounters flows;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class EnforcementSummary {
    /** "enforcing/selectedNodes", for the ENFORCING printer column. */
    public String nodes;

    public Integer enforcing;
    public Integer selectedNodes;

    /** The latest policy generation every selected node enforces. */
    public Long revision;

    /** When enforcing, selectedNodes or revision last changed (RFC 3339). */
    public String lastChange;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class NodePolicyStatus {
    /**
     * The node's agent ACKed a revision holding the policy's latest valid generation, and says its kernel
     * enforces what it applies.
     */
    public Boolean enforcing;

    /**
     * Why the node's kernel does not enforce anything the agent applies (the Java datapath, a failed load of
     * the eBPF programs); absent when it does.
     */
    public String notEnforcingReason;

    /** False when the agent NACKed its last revision or an endpoint failed. */
    public Boolean ok;

    public String error;

    /** When the agent last reported (RFC 3339). */
    public String lastUpdated;

    /** The node's desired-state revision the agent last reported on. */
    public Long localPolicyRevision;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class FlowCounters {
    public Long allowed;
    public Long denied;
  }
}
