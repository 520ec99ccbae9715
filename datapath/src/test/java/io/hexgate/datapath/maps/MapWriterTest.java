package io.hexgate.datapath.maps;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.ServiceBackend;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.bpf.BpfProgram;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.bpf.WithLoadedBpfObject;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** MapWriter against real kernel maps (root only): the kernel ends up holding exactly the new contents. */
class MapWriterTest extends WithLoadedBpfObject {
  @Test
  void writesDifferencesUntilTheKernelHoldsTheNewContents() {
    MapWriter writer = new MapWriter(obj);
    AgentState s1 = state(Map.of("web", "10.0.1.5", "db", "10.0.1.6"), 80, 2);
    MapContents c1 = MapContents.build(s1, writer.readKernel());
    MapWriter.Stats st = writer.write(writer.readKernel(), c1);
    assertThat(st.deletes()).isZero();
    assertKernelHolds(writer.readKernel(), c1);

    AgentState s2 = state(Map.of("web", "10.0.1.5", "cache", "10.0.1.7"), 443, 1);
    MapContents c2 = MapContents.build(s2, c1);
    st = writer.write(c1, c2);
    assertThat(st.upserts()).isPositive();
    assertThat(st.deletes()).isPositive();
    assertKernelHolds(writer.readKernel(), c2);
    // web kept its id across the revision
    assertThat(c2.endpoints().get(new io.hexgate.datapath.abi.EndpointKey(Ipv4.parse("10.0.1.5"))))
        .isEqualTo(c1.endpoints().get(new io.hexgate.datapath.abi.EndpointKey(Ipv4.parse("10.0.1.5"))));

    assertThat(c2.ipcacheHosts()).hasSize(2);
    assertThat(c2.ipcache()).hasSize(1);
    writer.write(c2, MapContents.EMPTY);
    assertKernelHolds(writer.readKernel(), MapContents.EMPTY);
  }

  /**
   * GO-2024-3072 (a race in the agent let traffic past the host firewall): policy-map updates are atomic
   * with endpoint regeneration. While the writer switches an endpoint's policy back and forth, and adds and
   * removes another endpoint, packets judged at the same time meet the old or the new decision for their
   * key, never a third one (no moment of allow-all or deny-all, no endpoint without its policy).
   */
  @Test
  @DisplayName("GO-2024-3072: policy-map updates are atomic with endpoint regeneration")
  void go_2024_3072_packetsJudgedDuringUpdatesMeetTheOldOrTheNewDecision() throws Exception {
    MapWriter writer = new MapWriter(obj);
    obj.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).put(0, new Config(Config.CONFIG_NO_CT_CREATE));
    int peer = Ipv4.parse("10.0.3.1");
    MapContents one = MapContents.build(withPeer(state(Map.of("web", "10.0.1.5"), 80, 1)), writer.readKernel());
    MapContents two = MapContents.build(withPeer(state(Map.of("web", "10.0.1.5", "cache", "10.0.1.7"), 443, 1)), one);
    writer.write(writer.readKernel(), one);
    int web = Ipv4.parse("10.0.1.5");
    int cache = Ipv4.parse("10.0.1.7");
    // packet → the decisions it may meet (state one, state two)
    Map<byte[], java.util.Set<Integer>> allowed = new java.util.LinkedHashMap<>();
    allowed.put(Packets.tcp(peer, web, 40000, 85, Packets.TCP_SYN), java.util.Set.of(0, 133));
    allowed.put(Packets.tcp(peer, web, 40000, 445, Packets.TCP_SYN), java.util.Set.of(133, 0));
    allowed.put(Packets.udp(peer, web, 40000, 53, new byte[4]), java.util.Set.of(181));
    allowed.put(Packets.tcp(peer, web, 40000, 22, Packets.TCP_SYN), java.util.Set.of(133));
    allowed.put(Packets.tcp(peer, cache, 40000, 445, Packets.TCP_SYN), java.util.Set.of(151, 0));
    assertVerdictsDuringChurn(writer, one, two, allowed);
  }

  /**
   * Advisory GHSA-68mj-9pjq-mc85: Cilium intermittently forwarded traffic its HTTP rules covered. Such
   * traffic goes to the L7 proxy or, with no proxy listening (as here), is dropped (178), and no revision,
   * however often policy changes around it, ever lets it through unfiltered.
   */
  @Test
  @DisplayName("GHSA-68mj-9pjq-mc85: traffic an HTTP rule covers is never forwarded unfiltered during policy churn")
  void ghsa_68mj_9pjq_mc85_l7CoveredTrafficIsNeverForwardedDuringPolicyChurn() throws Exception {
    MapWriter writer = new MapWriter(obj);
    obj.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).put(0, new Config(Config.CONFIG_NO_CT_CREATE));
    int peer = Ipv4.parse("10.0.3.1");
    int web = Ipv4.parse("10.0.1.5");
    MapContents one = MapContents.build(withHttpRule(withPeer(state(Map.of("web", "10.0.1.5"), 443, 1))), writer.readKernel());
    MapContents two = MapContents.build(withHttpRule(withPeer(state(Map.of("web", "10.0.1.5", "cache", "10.0.1.7"), 8443, 1))), one);
    writer.write(writer.readKernel(), one);
    Map<byte[], java.util.Set<Integer>> allowed = new java.util.LinkedHashMap<>();
    allowed.put(Packets.tcp(peer, web, 40000, 80, Packets.TCP_SYN), java.util.Set.of(DropReasons.DROP_PROXY_LOOKUP_FAILED));
    allowed.put(Packets.tcp(peer, web, 40000, 445, Packets.TCP_SYN), java.util.Set.of(0, 133));
    assertVerdictsDuringChurn(writer, one, two, allowed);
  }

  /** Writes {@code one} and {@code two} in turn, 300 times each at least, while a thread judges {@code allowed}'s packets. */
  private static void assertVerdictsDuringChurn(MapWriter writer, MapContents one, MapContents two,
      Map<byte[], java.util.Set<Integer>> allowed) throws InterruptedException {
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicLong judged = new java.util.concurrent.atomic.AtomicLong();
    BpfProgram toPod = obj.program("to_pod");
    Thread prober = new Thread(() -> {
      while (!stop.get() && wrong.size() < 10) {
        allowed.forEach((packet, decisions) -> {
          int reason = toPod.testRun(packet).cb0();
          judged.incrementAndGet();
          if (!decisions.contains(reason)) {
            wrong.add(java.util.HexFormat.of().formatHex(packet, 26, 38) + " got " + reason);
          }
        });
      }
    });
    prober.start();
    try {
      // at least 300 switches each way, and on until the prober has judged 1,000 packets (at most 10 s)
      long deadline = System.nanoTime() + 10_000_000_000L;
      for (int i = 0; i < 300 || (judged.get() < 1000 && System.nanoTime() < deadline); i++) {
        writer.write(one, two);
        writer.write(two, one);
      }
    } finally {
      stop.set(true);
      prober.join(10_000);
      obj.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).put(0, new Config(0));
      writer.write(writer.readKernel(), MapContents.EMPTY);
    }
    assertThat(wrong).as("verdicts that were neither the old nor the new decision").isEmpty();
    assertThat(judged.get()).isGreaterThan(1000);
  }

  /** Adds to web's ingress an HTTP rule for the peer (301) on TCP 80: a redirect to the L7 proxy. */
  private static AgentState withHttpRule(AgentState s) {
    Map<EndpointKey, EndpointState> eps = new HashMap<>(s.endpoints());
    EndpointKey webKey = EndpointKey.newBuilder().setNamespace("default").setName("web").build();
    EndpointState web = eps.get(webKey);
    eps.put(webKey, web.toBuilder().setIngress(web.getIngress().toBuilder()
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(301).setProtocol(Protocol.PROTOCOL_TCP)
            .setPortFrom(80).setPortTo(80).setAction(Action.ACTION_REDIRECT)
            .addHttp(io.hexgate.contract.v1.HttpMatch.newBuilder().setMethod("GET").setPath("/public"))))
        .build());
    return new AgentState(s.epoch(), s.revision(), eps, s.ipcache(), s.services());
  }

  private static AgentState withPeer(AgentState s) {
    Map<String, Long> ipcache = new HashMap<>(s.ipcache());
    ipcache.put("10.0.3.1/32", 301L);
    return new AgentState(s.epoch(), s.revision(), s.endpoints(), ipcache, s.services());
  }

  private static void assertKernelHolds(MapContents kernel, MapContents want) {
    assertThat(kernel.ipcacheHosts()).isEqualTo(want.ipcacheHosts());
    assertThat(kernel.ipcache()).isEqualTo(want.ipcache());
    assertThat(kernel.endpoints()).isEqualTo(want.endpoints());
    assertThat(kernel.policy()).isEqualTo(want.policy());
    assertThat(kernel.services()).isEqualTo(want.services());
    assertThat(kernel.backends()).isEqualTo(want.backends());
  }

  static AgentState state(Map<String, String> pods, int port, int backends) {
    Map<EndpointKey, EndpointState> eps = new HashMap<>();
    Map<String, Long> ipcache = new HashMap<>();
    long id = 300;
    for (Map.Entry<String, String> p : pods.entrySet()) {
      EndpointKey key = EndpointKey.newBuilder().setNamespace("default").setName(p.getKey()).build();
      RuleMap ingress = RuleMap.newBuilder().setEnforcing(true)
          .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(301).setProtocol(Protocol.PROTOCOL_TCP)
              .setPortFrom(port).setPortTo(port + 10).setAction(Action.ACTION_ALLOW))
          .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(0).setProtocol(Protocol.PROTOCOL_UDP)
              .setPortFrom(53).setPortTo(53).setAction(Action.ACTION_DENY))
          .build();
      RuleMap egress = RuleMap.newBuilder().setEnforcing(false)
          .addEntries(RuleMapEntry.newBuilder().setPortTo(65535)).build();
      eps.put(key, EndpointState.newBuilder().setKey(key).setIp(p.getValue())
          .setIdentity(Identity.newBuilder().setId(id)).setIngress(ingress).setEgress(egress).build());
      ipcache.put(p.getValue() + "/32", id++);
    }
    ipcache.put("192.0.2.0/24", 16777217L);
    ServiceFrontend fe = ServiceFrontend.newBuilder().setIp("10.96.0.10").setPort(80)
        .setProtocol(Protocol.PROTOCOL_TCP).build();
    ServiceState.Builder svc = ServiceState.newBuilder().setFrontend(fe).setService("default/web");
    for (int i = 0; i < backends; i++) {
      svc.addBackends(ServiceBackend.newBuilder().setIp("10.0.1." + (5 + i)).setPort(8080));
    }
    return new AgentState("e", 1, eps, ipcache, Map.of(fe, svc.build()));
  }
}
