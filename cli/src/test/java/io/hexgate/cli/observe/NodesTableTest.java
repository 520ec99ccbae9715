package io.hexgate.cli.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.hubble.observer.GetNodesResponse;
import io.hexgate.contract.hubble.observer.Node;
import io.hexgate.contract.hubble.observer.ServerStatusResponse;
import io.hexgate.contract.hubble.relay.NodeState;
import org.junit.jupiter.api.Test;

class NodesTableTest {
  @Test
  void eachNodeWithItsRevisionEnforcementFlowsAndLosses() {
    ServerStatusResponse status = ServerStatusResponse.newBuilder().setLostEvents(1234).build();
    GetNodesResponse nodes = GetNodesResponse.newBuilder()
        .addNodes(Node.newBuilder().setName("node-1").setState(NodeState.NODE_CONNECTED).setAppliedRevision("e1/7").setEnforcing(true)
            .setUptimeNs(10_000_000_000L).setSeenFlows(25).setNumFlows(25).setMaxFlows(4095).setLostEvents(1234))
        .addNodes(Node.newBuilder().setName("node-2").setState(NodeState.NODE_CONNECTED).setAppliedRevision("e1/6")
            .setNotEnforcingReason("--datapath java").setMaxFlows(4095))
        .addNodes(Node.newBuilder().setName("node-3").setState(NodeState.NODE_UNAVAILABLE))
        .build();

    assertThat(NodesTable.print(status, nodes).lines().toList()).containsExactly(
        "Lost Events: 1,234",
        "NODE     STATUS        REVISION   ENFORCING              FLOWS/S   CURRENT/MAX FLOWS   LOST EVENTS",
        "node-1   Connected     e1/7       yes                    2.50      25/4,095            1,234",
        "node-2   Connected     e1/6       no (--datapath java)   0.00      0/4,095             0",
        "node-3   Unavailable   -          no                     0.00      0/0                 0");
  }
}
