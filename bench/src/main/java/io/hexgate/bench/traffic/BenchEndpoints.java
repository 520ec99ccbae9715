package io.hexgate.bench.traffic;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.enforce.BpfDatapath;
import io.hexgate.datapath.netns.PodNetwork;
import java.util.Map;

/** The desired state a traffic benchmark gives an agent's datapath for its pods. */
public final class BenchEndpoints {
  /** Every protocol and port from every identity: the side of a pod the benchmark does not judge. */
  public static final RuleMap OPEN = RuleMap.newBuilder().addEntries(RuleMapEntry.newBuilder().setPortTo(65535)).build();

  private BenchEndpoints() {}

  public static EndpointState endpoint(PodNetwork p, long identity, RuleMap ingress, RuleMap egress) {
    return EndpointState.newBuilder()
        .setKey(EndpointKey.newBuilder().setNamespace(p.namespace()).setName(p.name()))
        .setIp(p.ip())
        .setIdentity(Identity.newBuilder().setId(identity))
        .setIngress(ingress)
        .setEgress(egress)
        .build();
  }

  /** Applies the snapshot {@code update} to a datapath that had nothing; throws when an endpoint failed. */
  public static void apply(BpfDatapath datapath, StateUpdate update) throws Exception {
    Map<EndpointKey, String> errors = datapath.apply(update, AgentState.EMPTY.apply(update));
    if (!errors.isEmpty()) {
      throw new IllegalStateException("Hexgate could not enforce the benchmark's endpoints: " + errors);
    }
  }
}
