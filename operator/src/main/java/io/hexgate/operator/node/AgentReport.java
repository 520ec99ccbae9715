package io.hexgate.operator.node;

import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.PolicyRef;
import java.util.Map;
import java.util.Set;

/**
 * What one agent said about one revision of its node's desired state.
 *
 * @param accepted false for a NACK: the agent rejected the revision as a whole and kept its previous state
 * @param error the agent's error text for a NACK, empty otherwise
 * @param endpointErrors endpoints that failed on their own, with the agent's error text
 * @param policies the policies selecting endpoints of the node at that revision (empty if the revision is
 *     no longer in the history)
 * @param kernelEnforcing whether the node's kernel judges packets by what the agent applies (false on the
 *     Java datapath): a revision accepted by an agent that is not enforcing is in force nowhere
 * @param notEnforcingReason why not, from the agent; empty when enforcing
 */
public record AgentReport(
    String node,
    long revision,
    boolean accepted,
    String error,
    Map<Endpoint.Key, String> endpointErrors,
    Set<PolicyRef> policies,
    boolean kernelEnforcing,
    String notEnforcingReason) {

  public AgentReport {
    error = error == null ? "" : error;
    notEnforcingReason = notEnforcingReason == null ? "" : notEnforcingReason;
    endpointErrors = Map.copyOf(endpointErrors);
    policies = Set.copyOf(policies);
  }

  /** The revision is in force on every endpoint of the node. */
  public boolean ok() {
    return accepted && endpointErrors.isEmpty();
  }
}
