package io.hexgate.datapath.twin;

import static io.hexgate.datapath.bpf.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

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
import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtLifetimes;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.Verdicts;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.maps.MapContents;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The twin's behaviour on the datapath's required cases (the differential test holds the kernel to the twin). */
class JavaDatapathTest {
  static final int CLIENT = ip(10, 0, 1, 10);
  static final int SERVER = ip(10, 0, 1, 20);
  static final int FRONTEND = ip(10, 96, 0, 10);
  /** The pods' host-side interfaces. */
  static final int IF_CLIENT = 11;
  static final int IF_SERVER = 12;

  /** client (identity 300) may reach server (identity 301) on TCP 80 and ping it; server allows nothing out. */
  static JavaDatapath datapath() {
    return new JavaDatapath(contents(state(80), MapContents.EMPTY));
  }

  static MapContents contents(AgentState state, MapContents previous) {
    return MapContents.build(state, previous)
        .withInterfaces(k -> k.getName().equals("client") ? IF_CLIENT : IF_SERVER);
  }

  static AgentState state(int allowedPort) {
    RuleMap allowAll = RuleMap.newBuilder().addEntries(RuleMapEntry.newBuilder().setPortTo(65535)).build();
    RuleMap serverIn = RuleMap.newBuilder().setEnforcing(true)
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(300).setProtocol(Protocol.PROTOCOL_TCP)
            .setPortFrom(allowedPort).setPortTo(allowedPort))
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(300).setProtocol(Protocol.PROTOCOL_ICMP)
            .setPortFrom(8).setPortTo(8))
        .build();
    RuleMap denyAll = RuleMap.newBuilder().setEnforcing(true).build();
    Map<EndpointKey, EndpointState> eps = new HashMap<>();
    eps.put(key("client"), EndpointState.newBuilder().setKey(key("client")).setIp("10.0.1.10")
        .setIdentity(Identity.newBuilder().setId(300)).setIngress(denyAll).setEgress(allowAll).build());
    eps.put(key("server"), EndpointState.newBuilder().setKey(key("server")).setIp("10.0.1.20")
        .setIdentity(Identity.newBuilder().setId(301)).setIngress(serverIn).setEgress(denyAll).build());
    ServiceFrontend fe = ServiceFrontend.newBuilder().setIp("10.96.0.10").setPort(8000)
        .setProtocol(Protocol.PROTOCOL_TCP).build();
    ServiceState svc = ServiceState.newBuilder().setFrontend(fe).setService("default/server")
        .addBackends(ServiceBackend.newBuilder().setIp("10.0.1.20").setPort(80)).build();
    return new AgentState("e", 1, eps, Map.of("10.0.1.10/32", 300L, "10.0.1.20/32", 301L), Map.of(fe, svc));
  }

  static EndpointKey key(String name) {
    return EndpointKey.newBuilder().setNamespace("default").setName(name).build();
  }

  @Test
  @DisplayName("GHSA-c66w-hq56-4q97: a new request is never taken for a reply")
  void ghsa_c66w_hq56_4q97_repliesPassButANewRequestIsNeverTakenForOne() {
    JavaDatapath dp = datapath();
    assertThat(dp.fromPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN), IF_CLIENT).reason()).isZero();
    Verdict syn = dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN));
    assertThat(syn.reason()).isZero();
    assertThat(syn.event()).get().satisfies(e -> {
      assertThat(e.type()).isEqualTo(Event.EVENT_POLICY_VERDICT);
      assertThat(e.srcIdentity()).isEqualTo(300);
      assertThat(e.dstIdentity()).isEqualTo(301);
      assertThat(e.matchType()).isEqualTo(Verdicts.MATCH_L3_L4);
    });
    // the server's SYN-ACK and the client's receipt of it: replies, no policy, no event
    Verdict synAck = dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40000, 0x12), IF_SERVER);
    assertThat(synAck.reason()).isZero();
    assertThat(synAck.event()).isEmpty();
    assertThat(dp.toPod(Packets.tcp(SERVER, CLIENT, 80, 40000, 0x12)).reason()).isZero();
    // a SYN from server to client on the reversed tuple is a new connection: server egress denies it,
    // though the connection's reply entry is under that very tuple
    assertThat(dp.conntrack()).containsKey(
        new CtKey(SERVER, CLIENT, 80, 40000, Protocols.PROTO_TCP, Directions.DIR_EGRESS));
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40000, Packets.TCP_SYN), IF_SERVER).reason())
        .isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40000, Packets.TCP_ACK), IF_SERVER).reason()).isZero();

    // ping: the request passes, the reply passes, an echo request back is judged (and denied)
    assertThat(dp.fromPod(Packets.icmp(CLIENT, SERVER, 8, 0, 7, 1), IF_CLIENT).reason()).isZero();
    assertThat(dp.toPod(Packets.icmp(CLIENT, SERVER, 8, 0, 7, 1)).reason()).isZero();
    assertThat(dp.fromPod(Packets.icmp(SERVER, CLIENT, 0, 0, 7, 1), IF_SERVER).reason()).isZero();
    assertThat(dp.fromPod(Packets.icmp(SERVER, CLIENT, 8, 0, 7, 1), IF_SERVER).reason()).isEqualTo(DropReasons.DROP_POLICY);
    // fragmentation needed always passes
    assertThat(dp.fromPod(Packets.icmp(SERVER, CLIENT, 3, 4, 0, 0), IF_SERVER).reason()).isZero();
    assertThat(dp.counter(DropReasons.DROP_POLICY, Directions.DIR_EGRESS).packets()).isEqualTo(2);
  }

  /** A new policy generation, as TwinDatapath and BpfDatapath announce a revision that changes policy. */
  static void bump(JavaDatapath dp, MapContents next) {
    dp.update(next);
    dp.configure(dp.config().withGeneration(dp.config().generation() + 1));
  }

  @Test
  void aPolicyChangeCutsOnlyTheConnectionsItNoLongerAllowsAndTheirReplyEntriesWithThem() {
    JavaDatapath dp = datapath();
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN)).reason()).isZero();
    assertThat(dp.toPod(Packets.icmp(CLIENT, SERVER, 8, 0, 7, 1)).reason()).isZero();
    MapContents before = contents(state(80), MapContents.EMPTY);
    // an unrelated change (another identity in the ipcache): nothing is cut
    AgentState unrelated = state(80);
    Map<String, Long> cache = new HashMap<>(unrelated.ipcache());
    cache.put("10.0.9.9/32", 999L);
    bump(dp, contents(new AgentState("e", 2, unrelated.endpoints(), cache, unrelated.services()), before));
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason()).isZero();
    // port 80 no longer allowed: the TCP connection is cut when next used, the ping is not
    bump(dp, contents(state(81), before));
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason())
        .isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.conntrack()).doesNotContainKey(
        new CtKey(SERVER, CLIENT, 80, 40000, Protocols.PROTO_TCP, Directions.DIR_EGRESS));
    // its reply entry went with it: the server's answers are judged (its egress allows nothing), and a
    // packet without SYN would not start a connection whose replies let the client back in anyway
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40000, Packets.TCP_ACK), IF_SERVER).reason())
        .isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason())
        .isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.toPod(Packets.icmp(CLIENT, SERVER, 8, 0, 7, 2)).reason()).isZero();
  }

  @Test
  void aTcpPacketWithoutSynRecordsOnlyItsOwnDirection() {
    JavaDatapath dp = datapath();
    // the client's egress allows everything: the ACK passes and is recorded, without a reply entry
    Verdict first = dp.fromPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK), IF_CLIENT);
    assertThat(first.reason()).isZero();
    assertThat(first.event()).isPresent();
    assertThat(dp.conntrack()).hasSize(1).allSatisfy((k, v) -> assertThat(v.flags() & CtFlags.CT_MIDSTREAM).isNotZero());
    assertThat(dp.fromPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK), IF_CLIENT).event()).isEmpty();
    // the answer is not a reply of it: the client's ingress (nothing) judges it
    assertThat(dp.toPod(Packets.tcp(SERVER, CLIENT, 80, 40000, Packets.TCP_ACK)).reason())
        .isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.fromPod(Packets.udp(CLIENT, SERVER, 40000, 53, new byte[4]), IF_CLIENT).reason()).isZero();
    assertThat(dp.conntrack()).hasSize(3);
  }

  @Test
  void revalidationJudgesOnlyTheConnectionsThatAreUsed() {
    JavaDatapath dp = datapath();
    for (int port = 40000; port < 40100; port++) {
      assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, port, 80, Packets.TCP_SYN)).reason()).isZero();
    }
    assertThat(dp.conntrack()).hasSize(200);
    bump(dp, contents(state(81), contents(state(80), MapContents.EMPTY)));
    assertThat(dp.judged()).as("applying the revision looks at no connection").isZero();
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40007, 80, Packets.TCP_ACK)).reason())
        .isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.judged()).as("one packet, one connection judged").isEqualTo(1);
    assertThat(dp.conntrack()).hasSize(198);
    // the idle ones are the GC's
    assertThat(dp.collectGarbage().cut()).isEqualTo(99);
    assertThat(dp.conntrack()).isEmpty();
  }

  /** Jiffies per second of the tests' clocks (a kernel of CONFIG_HZ 250), and jiffies after boot. */
  private static final int HZ = 250;
  private static final long BOOT_JIFFIES = 4_294_967_296L - 300 * HZ;

  @Test
  void entriesLiveForTheirProtocolsLifetimeAndTheGcDeletesThemAfter() {
    long[] now = {BOOT_JIFFIES + 3600 * HZ};
    JavaDatapath dp = new JavaDatapath(contents(state(80), MapContents.EMPTY), () -> now[0], HZ);
    dp.configure(new Config(0, 0, 0, new CtLifetimes(100, 20, 5, 30, 40), HZ));
    long s = HZ;
    byte[] synIn = Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN);
    CtKey tcp = new CtKey(CLIENT, SERVER, 40000, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    CtKey ping = new CtKey(CLIENT, SERVER, 7, 0, Protocols.PROTO_ICMP, Directions.DIR_INGRESS);
    assertThat(dp.toPod(synIn).reason()).isZero();
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] + 20 * s);
    assertThat(dp.toPod(Packets.icmp(CLIENT, SERVER, 8, 0, 7, 1)).reason()).isZero();
    assertThat(dp.conntrack().get(ping).expires()).isEqualTo(now[0] + 40 * s);
    // the handshake's ACK: established
    now[0] += s;
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason()).isZero();
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] + 100 * s);
    assertThat(dp.conntrack().get(tcp).renew()).as("its lifetime less a second").isEqualTo(99 * s);
    // within the same second the entry is not written again
    now[0] += s / 2;
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason()).isZero();
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] - s / 2 + 100 * s);
    // a second after it was written, it is: with the lifetime configured then
    dp.configure(new Config(0, 0, 0, new CtLifetimes(50, 20, 5, 30, 40), HZ));
    now[0] += s / 2 - 1;
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason()).isZero();
    assertThat(dp.conntrack().get(tcp).expires()).as("a jiffy short of the second").isEqualTo(now[0] - s + 1 + 100 * s);
    now[0] += 1;
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason()).isZero();
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] + 50 * s);
    assertThat(dp.conntrack().get(tcp).renew()).isEqualTo(49 * s);
    // a FIN shortens the connection's life to the closing lifetime
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, 0x11)).reason()).isZero();
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] + 5 * s);
    assertThat(dp.conntrack().get(tcp).flags() & CtFlags.CT_CLOSING).isNotZero();
    // ... the whole connection's: its reply entry too, though the server may never answer
    assertThat(dp.conntrack().get(tcp.reply()).expires()).isEqualTo(now[0] + 5 * s);
    // later the connection's entries are absent: the ACK is judged as new (allowed), leaving nothing
    now[0] += 200 * s;
    assertThat(dp.collectGarbage().deletions()).hasSize(4); // TCP and ping, each with its reply entry
    assertThat(dp.conntrack()).isEmpty();
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40000, Packets.TCP_ACK), IF_SERVER).reason())
        .as("the server's answer, its reply entry gone").isEqualTo(DropReasons.DROP_POLICY);
  }

  @Test
  void withoutHzLifetimesCountTheFallbacksSlowestTickSoTheyAreNeverLongerThanConfigured() {
    long[] now = {BOOT_JIFFIES};
    JavaDatapath dp = new JavaDatapath(contents(state(80), MapContents.EMPTY), () -> now[0], 1000);
    dp.configure(new Config(0, 0, 0, new CtLifetimes(100, 20, 5, 30, 40)));
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN)).reason()).isZero();
    CtKey tcp = new CtKey(CLIENT, SERVER, 40000, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    // 20 s at HZ 100 on a clock of HZ 1000: 2 s, never 0 (at once) nor a lifetime that never ends
    assertThat(Config.HZ_FALLBACK).isEqualTo(100);
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] + 20 * 100);
  }

  @Test
  void aResetFromEitherSideShortensTheConnectionsLife() {
    long[] now = {BOOT_JIFFIES};
    long s = HZ;
    JavaDatapath dp = new JavaDatapath(contents(state(80), MapContents.EMPTY), () -> now[0], HZ);
    CtKey tcp = new CtKey(CLIENT, SERVER, 40000, 80, Protocols.PROTO_TCP, Directions.DIR_INGRESS);
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN)).reason()).isZero();
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_ACK)).reason()).isZero();
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] + 8000 * s);
    // the server resets: its reply entry and the connection's entry both get the closing 10 s
    now[0] += 3 * s;
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40000, 0x14), IF_SERVER).reason()).isZero();
    assertThat(dp.conntrack().get(tcp.reply()).expires()).isEqualTo(now[0] + 10 * s);
    assertThat(dp.conntrack().get(tcp).expires()).isEqualTo(now[0] + 10 * s);
    now[0] += 11 * s;
    assertThat(dp.collectGarbage().deletions()).containsExactlyInAnyOrder(tcp, tcp.reply());
  }

  @Test
  void aPeerAddressWithAnotherIdentityNeverMatchesTheOldConnection() {
    // the server lets 300 and 302 in on TCP 80; the client's address then goes to a pod of identity 302
    AgentState before = withServerAlsoAllowing(state(80), 302);
    JavaDatapath dp = new JavaDatapath(contents(before, MapContents.EMPTY));
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN)).reason()).isZero();
    Map<String, Long> cache = new HashMap<>(before.ipcache());
    cache.put("10.0.1.10/32", 302L);
    bump(dp, contents(new AgentState("e", 2, before.endpoints(), cache, before.services()),
        contents(before, MapContents.EMPTY)));
    // the server's answer into the old tuple: not a reply any more (its egress allows nothing)
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40000, Packets.TCP_ACK), IF_SERVER).reason())
        .isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.conntrack()).isEmpty();
  }

  private static AgentState withServerAlsoAllowing(AgentState s, long identity) {
    Map<EndpointKey, EndpointState> eps = new HashMap<>(s.endpoints());
    EndpointState server = eps.get(key("server"));
    eps.put(key("server"), server.toBuilder().setIngress(server.getIngress().toBuilder()
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(identity).setProtocol(Protocol.PROTOCOL_TCP)
            .setPortFrom(80).setPortTo(80))).build());
    return new AgentState("e", 1, eps, s.ipcache(), s.services());
  }

  @Test
  void anExpiredEntryIsAbsentBeforeTheGcComes() {
    long[] now = {BOOT_JIFFIES};
    JavaDatapath dp = new JavaDatapath(contents(state(80), MapContents.EMPTY), () -> now[0], HZ);
    assertThat(dp.toPod(Packets.icmp(CLIENT, SERVER, 8, 0, 7, 1)).reason()).isZero();
    assertThat(dp.fromPod(Packets.icmp(SERVER, CLIENT, 0, 0, 7, 1), IF_SERVER).reason()).isZero();
    now[0] += 61 * HZ;
    // the echo reply's entry expired: the server's egress (deny all) judges it
    assertThat(dp.fromPod(Packets.icmp(SERVER, CLIENT, 0, 0, 7, 1), IF_SERVER).reason()).isEqualTo(DropReasons.DROP_POLICY);
  }

  @Test
  void anEndpointOverItsQuotaRecordsNoMoreConnections() {
    JavaDatapath dp = datapath();
    dp.configure(new Config(0, 0, 2, CtLifetimes.DEFAULT));
    assertThat(dp.fromPod(Packets.udp(CLIENT, SERVER, 1000, 53, new byte[1]), IF_CLIENT).reason()).isZero();
    assertThat(dp.fromPod(Packets.udp(CLIENT, SERVER, 1001, 53, new byte[1]), IF_CLIENT).reason()).isZero();
    Verdict third = dp.fromPod(Packets.udp(CLIENT, SERVER, 1002, 53, new byte[1]), IF_CLIENT);
    assertThat(third.reason()).isEqualTo(DropReasons.DROP_CT_CREATE_FAILED);
    assertThat(third.event()).isPresent();
    // the server's own connections are counted apart
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN)).reason()).isZero();
    // the established ones go on
    assertThat(dp.fromPod(Packets.udp(CLIENT, SERVER, 1000, 53, new byte[1]), IF_CLIENT).reason()).isZero();
    assertThat(dp.conntrackCounts()).containsEntry(1, 2);
  }

  @Test
  void serviceTrafficIsTranslatedBeforePolicyAndRepliesTranslatedBack() {
    JavaDatapath dp = datapath();
    byte[] syn = Packets.tcp(CLIENT, FRONTEND, 40001, 8000, Packets.TCP_SYN);
    Verdict out = dp.fromPod(syn, IF_CLIENT);
    assertThat(out.reason()).isZero();
    ByteBuffer b = ByteBuffer.wrap(out.packet());
    assertThat(b.getInt(30)).isEqualTo(SERVER);
    assertThat(b.getShort(36)).isEqualTo((short) 80);
    assertThat(Packets.checksumsValid(out.packet())).isTrue();
    assertThat(out.event().get().origDaddr()).isEqualTo(FRONTEND);
    // policy judged the backend: server ingress allows 300 on 80
    assertThat(dp.toPod(out.packet()).reason()).isZero();
    Verdict reply = dp.toPod(Packets.tcp(SERVER, CLIENT, 80, 40001, 0x12));
    assertThat(reply.reason()).isZero();
    ByteBuffer r = ByteBuffer.wrap(reply.packet());
    assertThat(r.getInt(26)).isEqualTo(FRONTEND);
    assertThat(r.getShort(34)).isEqualTo((short) 8000);
    assertThat(Packets.checksumsValid(reply.packet())).isTrue();
  }
}
