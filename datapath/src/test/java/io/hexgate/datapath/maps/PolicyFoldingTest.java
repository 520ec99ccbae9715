package io.hexgate.datapath.maps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.Verdicts;
import io.hexgate.datapath.agent.AgentState;
import java.util.Map;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Random rule maps: the folded hg_policy tables, read as the program reads them, give the rule map's answer. */
class PolicyFoldingTest {
  private static final long[] IDENTITIES = {0, 256, 257, 258, 16777217};
  private static final int[] PROTOCOLS = {6, 17, 1, 132, 47, 58};
  private static final int[] PORTS = {0, 1, 7, 8, 53, 79, 80, 81, 255, 256, 443, 1023, 1024, 8080, 65534, 65535};

  @Provide
  Arbitrary<RuleMap> ruleMaps() {
    Arbitrary<Integer> port = Arbitraries.oneOf(Arbitraries.of(0, 1, 8, 79, 80, 81, 255, 443, 1024, 65535),
        Arbitraries.integers().between(0, 65535));
    Arbitrary<RuleMapEntry> entry = Combinators.combine(
            Arbitraries.of(0L, 0L, 256L, 257L, 258L, 16777217L),
            Arbitraries.of(Protocol.PROTOCOL_ANY, Protocol.PROTOCOL_TCP, Protocol.PROTOCOL_UDP, Protocol.PROTOCOL_ICMP,
                Protocol.PROTOCOL_SCTP, Protocol.PROTOCOL_ICMPV6),
            port, port, Arbitraries.integers().between(0, 3),
            Arbitraries.of(Action.ACTION_ALLOW, Action.ACTION_ALLOW, Action.ACTION_DENY, Action.ACTION_REDIRECT),
            Arbitraries.integers().between(0, 4))
        .as((id, proto, a, b, widen, action, policy) -> {
          int from = Math.min(a, b);
          int to = Math.max(a, b);
          if (widen == 0) { // whole range: L3-only / proto-only entries
            from = 0;
            to = 65535;
          } else if (widen == 1) {
            to = from;
          }
          RuleMapEntry.Builder e = RuleMapEntry.newBuilder().setRemoteIdentity(id).setProtocol(proto)
              .setPortFrom(from).setPortTo(to).setAction(action);
          if (policy > 0) {
            e.addDerivedFrom(PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default")
                .setName("p" + policy));
          }
          return e.build();
        });
    return entry.list().ofMinSize(0).ofMaxSize(12)
        .map(es -> RuleMap.newBuilder().setEnforcing(true).addAllEntries(es).build());
  }

  @Property(tries = 400)
  void foldedTablesAnswerLikeTheRuleMap(@ForAll("ruleMaps") RuleMap ingress, @ForAll("ruleMaps") RuleMap egress) {
    MapContents c = MapContents.build(state(ingress, egress), MapContents.EMPTY);
    assertThat(c.endpointErrors()).isEmpty();
    int ep = c.endpoints().values().iterator().next().id();
    PolicyTable table = new PolicyTable(c.policy());
    check(c, table, ep, Directions.DIR_INGRESS, ingress);
    check(c, table, ep, Directions.DIR_EGRESS, egress);
  }

  @Example
  void l3OnlyAllowIsOneEntryAndPortRangesArePrefixBlocks() {
    RuleMap ingress = RuleMap.newBuilder().setEnforcing(true)
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(256).setProtocol(Protocol.PROTOCOL_ANY)
            .setPortFrom(0).setPortTo(65535))
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(0).setProtocol(Protocol.PROTOCOL_TCP)
            .setPortFrom(1).setPortTo(1024))
        .build();
    MapContents c = MapContents.build(state(ingress, RuleMap.getDefaultInstance()), MapContents.EMPTY);
    // identity 256: its table entry alone (allow everything); identity 0: TCP 1-1024 as 11 port blocks
    // (1, 2-3, 4-7, ..., 512-1023, 1024) and the TCP entry, which answers NONE for the other ports
    assertThat(c.policy().keySet()).filteredOn(k -> k.identity() == 256).singleElement()
        .satisfies(k -> assertThat(k.prefix()).isEqualTo(PolicyKey.POLICY_TABLE));
    assertThat(c.policy().keySet()).filteredOn(k -> k.identity() == 0).hasSize(12);
    assertThat(c.policy().get(PolicyKey.proto(1, 0, Directions.DIR_INGRESS, 6)).prefixes())
        .isEqualTo((1 << 16) | (1 << 15) | (1 << 14) | (1 << 13) | (1 << 12) | (1 << 11) | (1 << 10) | (1 << 9)
            | (1 << 8) | (1 << 7));

    // a wide allow with a hole: the TCP entry allows, one block denies
    RuleMap hole = RuleMap.newBuilder().setEnforcing(true)
        .addEntries(RuleMapEntry.newBuilder().setProtocol(Protocol.PROTOCOL_TCP).setPortFrom(0).setPortTo(65535))
        .addEntries(RuleMapEntry.newBuilder().setProtocol(Protocol.PROTOCOL_TCP).setPortFrom(22).setPortTo(22)
            .setAction(Action.ACTION_DENY))
        .build();
    c = MapContents.build(state(hole, RuleMap.getDefaultInstance()), MapContents.EMPTY);
    assertThat(c.policy().keySet()).filteredOn(k -> k.direction() == Directions.DIR_INGRESS).hasSize(2);
  }

  @Example
  void badEntriesFailTheirEndpointNamingTheField() {
    RuleMap bad = RuleMap.newBuilder().addEntries(RuleMapEntry.newBuilder().setPortFrom(90).setPortTo(80)).build();
    MapContents c = MapContents.build(state(bad, RuleMap.getDefaultInstance()), MapContents.EMPTY);
    assertThat(c.endpointErrors().values()).singleElement().asString()
        .contains("endpoint default/web").contains("ingress rule map entry 0").contains("90-80");
    assertThat(c.endpoints()).isEmpty();
    assertThatThrownBy(() -> MapContents.build(new AgentState("e", 1, Map.of(), Map.of("10.0.0.0/33", 5L), Map.of()),
        MapContents.EMPTY)).hasMessageContaining("ipcache entry prefix").hasMessageContaining("10.0.0.0/33");
  }

  private static void check(MapContents c, PolicyTable table, int ep, int dir, RuleMap map) {
    TreeSet<Integer> ports = new TreeSet<>();
    for (int p : PORTS) {
      ports.add(p);
    }
    for (RuleMapEntry e : map.getEntriesList()) {
      for (int d = -1; d <= 1; d++) {
        ports.add(Math.max(0, Math.min(65535, e.getPortFrom() + d)));
        ports.add(Math.max(0, Math.min(65535, e.getPortTo() + d)));
      }
    }
    for (long id : IDENTITIES) {
      long remote = id == 0 ? 999 : id; // 999: an identity no entry names
      for (int proto : PROTOCOLS) {
        PolicyFolding.ProtoClass cls = PolicyFolding.ProtoClass.of(proto);
        for (int port : ports) {
          // what the program looks up: ICMP types are a byte, other protocols have no port
          if (port > cls.maxPort) {
            continue;
          }
          int lookedUp = cls == PolicyFolding.ProtoClass.OTHER ? 0 : port;
          RuleMapSemantics.Answer want = RuleMapSemantics.decide(map, remote, proto, lookedUp);
          PolicyValue got = table.lookup(ep, (int) remote, dir, cls.number, lookedUp);
          String where = "dir " + dir + " identity " + remote + " proto " + proto + " port " + lookedUp;
          int verdict = got == null ? Verdicts.VERDICT_NONE : got.verdict();
          assertThat(verdict).as(where).isEqualTo(verdictOf(want.action()));
          if (want.action() != null) {
            assertThat(got.matchType()).as(where + " match type").isEqualTo(want.matchType());
            assertThat(c.rules().get(got.ruleId())).as(where + " rule").isEqualTo(want.refs());
          }
        }
      }
    }
  }

  private static int verdictOf(Action a) {
    if (a == null) {
      return Verdicts.VERDICT_NONE;
    }
    return switch (a) {
      case ACTION_ALLOW -> Verdicts.VERDICT_ALLOW;
      case ACTION_DENY -> Verdicts.VERDICT_DENY;
      case ACTION_REDIRECT -> Verdicts.VERDICT_REDIRECT;
      default -> throw new IllegalArgumentException(a.toString());
    };
  }

  static AgentState state(RuleMap ingress, RuleMap egress) {
    EndpointKey key = EndpointKey.newBuilder().setNamespace("default").setName("web").build();
    EndpointState ep = EndpointState.newBuilder().setKey(key).setIp("10.0.1.5")
        .setIdentity(Identity.newBuilder().setId(300)).setIngress(ingress).setEgress(egress).build();
    return new AgentState("e", 1, Map.of(key, ep), Map.of(), Map.of());
  }
}
