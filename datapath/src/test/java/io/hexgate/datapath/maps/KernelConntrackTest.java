package io.hexgate.datapath.maps;

import static io.hexgate.datapath.bpf.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtLifetimes;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.bpf.BpfProgram;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.bpf.WithLoadedBpfObject;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Conntrack lifetimes, the policy generation and the GC on the kernel's maps, through BPF_PROG_TEST_RUN (root
 * only): entries expire after their protocol's lifetime, a FIN shortens a connection's, the GC deletes what
 * expired, and a revision makes the program judge again only the connections that are used.
 */
class KernelConntrackTest extends WithLoadedBpfObject {
  static final int CLIENT = ip(10, 0, 1, 10);
  static final int SERVER = ip(10, 0, 1, 20);

  private MapWriter writer;
  private KernelConntrack ct;
  private MapContents contents;
  private BpfProgram fromPod;
  private BpfProgram toPod;
  /** A second in jiffies, the unit of CT times: the kernel's HZ. */
  private long s;

  @BeforeEach
  void clean() {
    writer = new MapWriter(obj);
    ct = new KernelConntrack(obj);
    s = ct.clock().hz();
    contents = contents(state(80), MapContents.EMPTY);
    writer.write(writer.readKernel(), contents);
    obj.map("hg_ct").keys().forEach(obj.map("hg_ct")::delete);
    fromPod = obj.program("from_pod");
    toPod = obj.program("to_pod");
  }

  /** client (300) allows everything out and nothing in; server (301) lets 300 in on TCP {@code port}. */
  static AgentState state(int port) {
    RuleMap allowAll = RuleMap.newBuilder().addEntries(RuleMapEntry.newBuilder().setPortTo(65535)).build();
    RuleMap denyAll = RuleMap.newBuilder().setEnforcing(true).build();
    RuleMap serverIn = RuleMap.newBuilder().setEnforcing(true)
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(300).setProtocol(Protocol.PROTOCOL_TCP)
            .setPortFrom(port).setPortTo(port))
        .build();
    Map<EndpointKey, EndpointState> eps = new HashMap<>();
    EndpointKey c = EndpointKey.newBuilder().setNamespace("default").setName("client").build();
    EndpointKey s = EndpointKey.newBuilder().setNamespace("default").setName("server").build();
    eps.put(c, EndpointState.newBuilder().setKey(c).setIp("10.0.1.10").setIdentity(Identity.newBuilder().setId(300))
        .setIngress(denyAll).setEgress(allowAll).build());
    eps.put(s, EndpointState.newBuilder().setKey(s).setIp("10.0.1.20").setIdentity(Identity.newBuilder().setId(301))
        .setIngress(serverIn).setEgress(denyAll).build());
    return new AgentState("e", 1, eps, Map.of("10.0.1.10/32", 300L, "10.0.1.20/32", 301L), Map.of());
  }

  static final int IF_CLIENT = 11;
  static final int IF_SERVER = 12;

  /** The maps of {@code state}, each pod's host-side interface named as the test runs give it. */
  static MapContents contents(AgentState state, MapContents previous) {
    return MapContents.build(state, previous).withInterfaces(k -> k.getName().equals("client") ? IF_CLIENT : IF_SERVER);
  }

  /** The verdict's reason; a packet the pod sends arrives on its own interface. */
  private static int reason(BpfProgram p, byte[] frame) {
    int saddr = java.nio.ByteBuffer.wrap(frame, 26, 4).getInt();
    return p.testRun(frame, 1, saddr == CLIENT ? IF_CLIENT : IF_SERVER).cb0();
  }

  @Test
  void aQuotaCounterTakenBelowZeroByTwoCpusNeverRefusesNewConnections() {
    ct.configure(new Config(0, 0, 4, CtLifetimes.DEFAULT));
    // two CPUs closing the endpoint's last two connections at once may each take one away from 1: the
    // counter reads -1 (0xffffffff) until the GC's recount, which must not look like a used-up quota
    var counts = obj.map("hg_ct_counts").typed(ScalarCodecs.U32, ScalarCodecs.CT_COUNT);
    int client = contents.endpoints().get(new io.hexgate.datapath.abi.EndpointKey(CLIENT)).id();
    counts.put(client, -1);
    assertThat(reason(fromPod, Packets.udp(CLIENT, SERVER, 1000, 53, new byte[4]))).isZero();
    assertThat(counts.get(client)).contains(0);
    // and the quota still holds once the counter is back in range
    for (int port = 1001; port <= 1004; port++) {
      assertThat(reason(fromPod, Packets.udp(CLIENT, SERVER, port, 53, new byte[4]))).isZero();
    }
    assertThat(reason(fromPod, Packets.udp(CLIENT, SERVER, 1005, 53, new byte[4])))
        .isEqualTo(DropReasons.DROP_CT_CREATE_FAILED);
  }

  @Test
  void aUdpConnectionExpiresAfterItsLifetimeAndTheGcDeletesBothEntries() throws Exception {
    ct.configure(new Config(0, 0, 0, new CtLifetimes(3600, 60, 1, 1, 60)));
    CtKey udp = new CtKey(CLIENT, SERVER, 1000, 53, Protocols.PROTO_UDP, Directions.DIR_EGRESS);
    byte[] answer = Packets.udp(SERVER, CLIENT, 53, 1000, new byte[4]);
    assertThat(reason(fromPod, Packets.udp(CLIENT, SERVER, 1000, 53, new byte[4]))).isZero();
    long now = ct.clock().now();
    assertThat(ct.entries().get(udp).expires()).isCloseTo(now + s, within(s / 2));
    assertThat(ct.entries().get(udp.reply()).expires()).isEqualTo(ct.entries().get(udp).expires());
    assertThat(reason(toPod, answer)).as("the answer, within the lifetime").isZero();

    Thread.sleep(1300);
    // expired: the answer is a packet of its own, which the client's ingress (nothing) denies
    assertThat(reason(toPod, answer)).isEqualTo(DropReasons.DROP_POLICY);
    ConntrackGc.Pass pass = ct.collectGarbage(contents);
    assertThat(pass.deletions()).containsExactlyInAnyOrder(udp, udp.reply());
    assertThat(ct.entries()).isEmpty();
  }

  @Test
  void tcpLivesForTheSynLifetimeThenEstablishedAndAFinShortensTheWholeConnection() throws Exception {
    ct.configure(new Config(0, 0, 0, new CtLifetimes(3600, 60, 1, 30, 60)));
    CtKey tcp = new CtKey(CLIENT, SERVER, 40000, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN))).isZero();
    assertThat(ct.entries().get(tcp).expires()).isCloseTo(ct.clock().now() + 60 * s, within(s / 2));
    assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK))).isZero();
    assertThat(ct.entries().get(tcp).expires()).isCloseTo(ct.clock().now() + 3600 * s, within(s / 2));
    // the client's FIN: both entries get the closing lifetime
    assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, 40000, 80, 0x11))).isZero();
    Map<CtKey, CtValue> e = ct.entries();
    assertThat(e.get(tcp).expires()).isCloseTo(ct.clock().now() + s, within(s / 2));
    assertThat(e.get(tcp.reply()).expires()).isCloseTo(ct.clock().now() + s, within(s / 2));
    assertThat(e.get(tcp.reply()).flags() & CtFlags.CT_CLOSING).isNotZero();
    Thread.sleep(1300);
    assertThat(ct.collectGarbage(contents).deletions()).containsExactlyInAnyOrder(tcp, tcp.reply());
    // the server's last ACK meets no connection now: its egress denies it
    assertThat(reason(fromPod, Packets.tcp(SERVER, CLIENT, 80, 40000, Packets.TCP_ACK)))
        .isEqualTo(DropReasons.DROP_POLICY);
  }

  @Test
  void anEstablishedPacketWritesItsEntryAtMostOnceASecondWithTheLifetimeConfiguredThen() throws Exception {
    ct.configure(new Config(0, 0, 0, new CtLifetimes(3600, 60, 1, 30, 60)));
    CtKey tcp = new CtKey(CLIENT, SERVER, 40000, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    byte[] ack = Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK);
    assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN))).isZero();
    assertThat(reason(toPod, ack)).isZero();
    CtValue established = ct.entries().get(tcp);
    assertThat(established.expires()).isCloseTo(ct.clock().now() + 3600 * s, within(s / 2));
    assertThat(established.renew()).as("its lifetime less a second").isEqualTo(3599 * s);
    // a shorter lifetime: not written again within the second ...
    ct.configure(new Config(0, 0, 0, new CtLifetimes(60, 60, 1, 30, 60)));
    assertThat(reason(toPod, ack)).isZero();
    assertThat(ct.entries().get(tcp)).isEqualTo(established);
    // ... then the next packet gives the entry the lifetime configured now
    Thread.sleep(1100);
    assertThat(reason(toPod, ack)).isZero();
    assertThat(ct.entries().get(tcp).expires()).isCloseTo(ct.clock().now() + 60 * s, within(s / 2));
    assertThat(ct.entries().get(tcp).renew()).isEqualTo(59 * s);
  }

  @Test
  void theAgentWritesTheKernelsHzAndWithoutItTheProgramCountsTheFallbacksSlowestTick() {
    ct.configure(new Config(0, 0, 0, new CtLifetimes(3600, 60, 1, 30, 60)));
    assertThat(ct.config().hz()).isEqualTo(ct.clock().hz()).isPositive();
    // a zeroed hg_config (before the agent wrote it): 60 s of HG_HZ_FALLBACK (100) jiffies, as the twin counts
    obj.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC)
        .put(0, new Config(0, 0, 0, new CtLifetimes(3600, 60, 1, 30, 60), 0));
    CtKey tcp = new CtKey(CLIENT, SERVER, 40000, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    long before = ct.clock().now();
    assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN))).isZero();
    long after = ct.clock().now();
    assertThat(ct.entries().get(tcp).expires()).isBetween(before + 60 * Config.HZ_FALLBACK, after + 60 * Config.HZ_FALLBACK);
    ct.configure(new Config(0));
  }

  @Test
  void aRevisionMakesTheProgramJudgeAgainOnlyTheConnectionsThatAreUsed() {
    ct.configure(new Config(0, 7, 0, CtLifetimes.DEFAULT));
    for (int port = 40000; port < 40050; port++) {
      assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, port, 80, Packets.TCP_SYN))).isZero();
    }
    assertThat(ct.entries()).hasSize(100).allSatisfy((k, v) -> assertThat(v.generation()).isEqualTo(7));

    // an unrelated revision: a used connection is judged again, still allowed, and stamped
    MapContents more = contents(withExtraIdentity(state(80)), contents);
    writer.write(contents, more);
    contents = more;
    assertThat(ct.bumpGeneration()).isEqualTo(8);
    assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, 40003, 80, Packets.TCP_ACK))).isZero();
    CtKey used = new CtKey(CLIENT, SERVER, 40003, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    Map<CtKey, CtValue> e = ct.entries();
    assertThat(e.get(used).generation()).isEqualTo(8);
    assertThat(e.entrySet().stream().filter(x -> x.getValue().generation() == 8)).as("entries judged").hasSize(1);

    // port 80 no longer allowed: the next packet of one connection cuts that one, both entries
    MapContents next = contents(state(81), contents);
    writer.write(contents, next);
    contents = next;
    ct.bumpGeneration();
    assertThat(reason(toPod, Packets.tcp(CLIENT, SERVER, 40004, 80, Packets.TCP_ACK))).isEqualTo(DropReasons.DROP_POLICY);
    CtKey cut = new CtKey(CLIENT, SERVER, 40004, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    e = ct.entries();
    assertThat(e).hasSize(98).doesNotContainKeys(cut, cut.reply());
    assertThat(e.values()).noneMatch(v -> v.generation() == 9);
    // the idle rest: the GC's
    ConntrackGc.Pass pass = ct.collectGarbage(contents);
    assertThat(pass.cut()).isEqualTo(49);
    assertThat(ct.entries()).isEmpty();
  }

  private static AgentState withExtraIdentity(AgentState s) {
    Map<String, Long> cache = new HashMap<>(s.ipcache());
    cache.put("10.0.9.9/32", 999L);
    return new AgentState("e", 2, s.endpoints(), cache, s.services());
  }
}
