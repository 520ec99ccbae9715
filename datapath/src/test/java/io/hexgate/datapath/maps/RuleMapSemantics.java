package io.hexgate.datapath.maps;

import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.datapath.abi.Verdicts;
import java.util.List;

/**
 * The straightforward reading of a RuleMap (node_agent.proto): every matching entry counts; any DENY
 * drops (181), else any ALLOW passes, else REDIRECT goes to the proxy, no match drops (133). The folded
 * tables must answer the same.
 */
final class RuleMapSemantics {
  private RuleMapSemantics() {}

  /** action: null = no match; refs: the first entry of the winning action's policies. */
  record Answer(Action action, List<PolicyRef> refs, int matchType) {}

  static Answer decide(RuleMap map, long identity, int ipProtocol, int port) {
    RuleMapEntry winner = null;
    for (RuleMapEntry e : map.getEntriesList()) {
      if (e.getRemoteIdentity() != 0 && e.getRemoteIdentity() != identity) {
        continue;
      }
      if (!protocolMatches(e.getProtocol(), ipProtocol)) {
        continue;
      }
      if (port < e.getPortFrom() || port > e.getPortTo()) {
        continue;
      }
      if (winner == null || rank(e.getAction()) > rank(winner.getAction())) {
        winner = e;
      }
    }
    if (winner == null) {
      return new Answer(null, List.of(), Verdicts.MATCH_NONE);
    }
    boolean l3 = winner.getRemoteIdentity() != 0;
    boolean any = winner.getProtocol() == Protocol.PROTOCOL_ANY;
    boolean allPorts = winner.getPortFrom() == 0 && winner.getPortTo() == 65535;
    int match = !allPorts ? (l3 ? Verdicts.MATCH_L3_L4 : Verdicts.MATCH_L4_ONLY)
        : any ? (l3 ? Verdicts.MATCH_L3_ONLY : Verdicts.MATCH_ALL)
        : (l3 ? Verdicts.MATCH_L3_PROTO : Verdicts.MATCH_PROTO_ONLY);
    return new Answer(winner.getAction(), winner.getDerivedFromList(), match);
  }

  private static boolean protocolMatches(Protocol p, int ipProtocol) {
    return p == Protocol.PROTOCOL_ANY || p.getNumber() == ipProtocol && p != Protocol.PROTOCOL_ICMPV6;
  }

  private static int rank(Action a) {
    return switch (a) {
      case ACTION_DENY -> 3;
      case ACTION_ALLOW -> 2;
      case ACTION_REDIRECT -> 1;
      default -> 0;
    };
  }
}
