package io.hexgate.datapath.flow.hubble;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.datapath.agent.AgentState;
import java.util.Map;

/**
 * What the agent knows to name an address: local endpoints, the IP cache (with the namespace and name of
 * pods on other nodes, which the operator sends), identities' labels and service frontends. Updated on each
 * applied revision; read by any number of flow threads without locking.
 */
public final class FlowNames {
  private final PolicyNames policyNames;
  private volatile NameTable table = NameTable.EMPTY;

  public FlowNames() {
    this(new PolicyNames());
  }

  FlowNames(PolicyNames policyNames) {
    this.policyNames = policyNames;
  }

  /** Names from {@code state}; local endpoints get no endpoint id. */
  public void update(AgentState state) {
    update(state, Map.of());
  }

  /**
   * Names from {@code state}, the node's endpoints with their datapath endpoint ids ({@code endpointIds},
   * e.g. {@code MapContents.endpointNames()} of the contents in force).
   */
  public synchronized void update(AgentState state, Map<Integer, EndpointKey> endpointIds) {
    table = NameTable.of(state, endpointIds, table, policyNames);
  }

  NameTable table() {
    return table;
  }

  PolicyNames policyNames() {
    return policyNames;
  }
}
