package io.hexgate.datapath.twin;

import static io.hexgate.datapath.bpf.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.MetricsValue;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.BpfProgram;
import io.hexgate.datapath.bpf.BpfSupport;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.bpf.RingBuffer;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.maps.MapWriter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the datapath validates before policy, in the kernel (BPF_PROG_TEST_RUN, root only) and in the twin
 * alike: the interface a pod's packet arrives on, the uplink's sources, ICMP errors quoting tracked
 * connections, later fragments. The node of {@link JavaDatapathTest}: client 10.0.1.10 (egress allows all,
 * ingress denies all) on interface 11, server 10.0.1.20 (ingress allows the client on TCP 80 and ping,
 * egress denies all) on interface 12, and a frontend 10.96.0.10:8000 → server:80.
 */
class PacketValidationTest {
  static final int CLIENT = JavaDatapathTest.CLIENT;
  static final int SERVER = JavaDatapathTest.SERVER;
  static final int FRONTEND = JavaDatapathTest.FRONTEND;
  static final int WORLD = ip(203, 0, 113, 7);
  static final int IF_CLIENT = JavaDatapathTest.IF_CLIENT;
  static final int IF_SERVER = JavaDatapathTest.IF_SERVER;

  /** The three programs and their counters, in the kernel or the twin. */
  interface Datapath extends AutoCloseable {
    Verdict fromPod(byte[] frame, int ifindex);

    Verdict toPod(byte[] frame);

    Verdict fromNetdev(byte[] frame);

    long packets(int reason, int dir);

    boolean tracked(CtKey k);

    @Override
    default void close() {}
  }

  static final class Twin implements Datapath {
    final JavaDatapath dp = JavaDatapathTest.datapath();

    public Verdict fromPod(byte[] frame, int ifindex) {
      return dp.fromPod(frame, ifindex);
    }

    public Verdict toPod(byte[] frame) {
      return dp.toPod(frame);
    }

    public Verdict fromNetdev(byte[] frame) {
      return dp.fromNetdev(frame);
    }

    public long packets(int reason, int dir) {
      return dp.counter(reason, dir).packets();
    }

    public boolean tracked(CtKey k) {
      return dp.conntrack().containsKey(k);
    }
  }

  static final class Kernel implements Datapath {
    final BpfObject obj = BpfSupport.loadOrSkip();
    final List<Event> events = new ArrayList<>();
    final RingBuffer ring = new RingBuffer(obj.map("hg_events"), b -> events.add(Event.CODEC.read(b)));

    Kernel() {
      new MapWriter(obj).write(MapContents.EMPTY, JavaDatapathTest.contents(JavaDatapathTest.state(80), MapContents.EMPTY));
    }

    Verdict run(String program, byte[] frame, int ifindex) {
      ring.consume();
      events.clear();
      BpfProgram.TestRun r = obj.program(program).testRun(frame, 1, ifindex);
      ring.consume();
      Optional<Event> e = events.isEmpty() ? Optional.empty() : Optional.of(events.get(0).withoutTime());
      return new Verdict(r.retval(), r.cb0(), r.packet(), e, r.mark());
    }

    public Verdict fromPod(byte[] frame, int ifindex) {
      return run("from_pod", frame, ifindex);
    }

    public Verdict toPod(byte[] frame) {
      return run("to_pod", frame, 0);
    }

    public Verdict fromNetdev(byte[] frame) {
      return run("from_netdev", frame, 0);
    }

    public long packets(int reason, int dir) {
      byte[] perCpu = obj.map("hg_metrics").lookup(ScalarCodecs.U32.encode(io.hexgate.datapath.abi.MetricsValue.metricsSlot(reason, dir)));
      return MetricsValue.sumPerCpu(perCpu).packets();
    }

    public boolean tracked(CtKey k) {
      return obj.map("hg_ct").lookup(CtKey.CODEC.encode(k)) != null;
    }

    @Override
    public void close() {
      ring.close();
      obj.close();
    }
  }

  private Datapath dp;

  private Datapath open(String where) {
    if (where.equals("kernel")) {
      Assumptions.assumeTrue(BpfSupport.skipReason().isEmpty(), () -> "skipping the kernel: " + BpfSupport.skipReason().get());
      dp = new Kernel();
    } else {
      dp = new Twin();
    }
    return dp;
  }

  @AfterEach
  void close() {
    if (dp != null) {
      dp.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "twin"})
  void aPodCannotBorrowItsNeighboursAddressNorSendIntoItsConnections(String where) {
    Datapath dp = open(where);
    // the server's egress allows nothing; from the server's interface the client's address would borrow
    // the client's allow-all egress: dropped as an invalid source, counted, with a drop event
    Verdict spoofed = dp.fromPod(Packets.tcp(CLIENT, WORLD, 40000, 443, Packets.TCP_SYN), IF_SERVER);
    assertThat(spoofed.reason()).isEqualTo(DropReasons.DROP_INVALID_SIP);
    assertThat(spoofed.forwarded()).isFalse();
    assertThat(spoofed.event()).get().satisfies(e -> {
      assertThat(e.type()).isEqualTo(io.hexgate.datapath.abi.Event.EVENT_DROP);
      assertThat(e.reason()).isEqualTo(DropReasons.DROP_INVALID_SIP);
      assertThat(e.saddr()).isEqualTo(CLIENT);
    });
    assertThat(dp.packets(DropReasons.DROP_INVALID_SIP, Directions.DIR_EGRESS)).isEqualTo(1);
    // an interface nobody knows (0) matches no endpoint: fail closed
    assertThat(dp.fromPod(Packets.tcp(CLIENT, WORLD, 40001, 443, Packets.TCP_SYN), 0).reason())
        .isEqualTo(DropReasons.DROP_INVALID_SIP);

    // the client's connection to the world and its reply entry: the server cannot send into them
    assertThat(dp.fromPod(Packets.tcp(CLIENT, WORLD, 40002, 443, Packets.TCP_SYN), IF_CLIENT).reason()).isZero();
    assertThat(dp.fromPod(Packets.tcp(CLIENT, WORLD, 40002, 443, Packets.TCP_ACK), IF_SERVER).reason())
        .isEqualTo(DropReasons.DROP_INVALID_SIP);
    assertThat(dp.fromPod(Packets.tcp(CLIENT, WORLD, 40002, 443, Packets.TCP_ACK), IF_CLIENT).reason()).isZero();
    // nor end them: a SYN on the client's tuple from the server's interface forgets nothing
    assertThat(dp.fromPod(Packets.tcp(CLIENT, WORLD, 40002, 443, Packets.TCP_SYN), IF_SERVER).reason())
        .isEqualTo(DropReasons.DROP_INVALID_SIP);
    assertThat(dp.tracked(new CtKey(CLIENT, WORLD, 40002, 443, 6, Directions.DIR_EGRESS))).isTrue();
    // a connection the server's ingress let in: the client cannot answer in the server's name
    assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40003, 80, Packets.TCP_SYN)).reason()).isZero();
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40003, 0x12), IF_CLIENT).reason())
        .isEqualTo(DropReasons.DROP_INVALID_SIP);
    assertThat(dp.fromPod(Packets.tcp(SERVER, CLIENT, 80, 40003, 0x12), IF_SERVER).reason()).isZero();
    assertThat(dp.packets(DropReasons.DROP_INVALID_SIP, Directions.DIR_EGRESS)).isEqualTo(5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "twin"})
  void ghsa_8fg8_jh2h_f2hc_theUplinkDropsPacketsFromOutsideThatClaimALocalPodsAddress(String where) {
    // GHSA-8fg8-jh2h-f2hc: the source identity comes from the packet, not from the routing path; so a
    // packet from outside must not carry a local pod's address, which would be judged as that pod
    Datapath dp = open(where);
    Verdict spoofed = dp.fromNetdev(Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN));
    assertThat(spoofed.reason()).isEqualTo(DropReasons.DROP_INVALID_SIP);
    assertThat(spoofed.forwarded()).isFalse();
    assertThat(spoofed.event()).get().satisfies(e -> {
      assertThat(e.direction()).isEqualTo(Directions.DIR_NETDEV);
      assertThat(e.reason()).isEqualTo(DropReasons.DROP_INVALID_SIP);
    });
    assertThat(dp.packets(DropReasons.DROP_INVALID_SIP, Directions.DIR_NETDEV)).isEqualTo(1);
    assertThat(dp.fromNetdev(Packets.tcp(WORLD, SERVER, 40000, 80, Packets.TCP_SYN)).reason()).isZero();
    assertThat(dp.packets(DropReasons.FORWARDED, Directions.DIR_NETDEV)).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "twin"})
  void fragmentationNeededFromADenyAllPodWithAForeignSourceIsDropped(String where) {
    Datapath dp = open(where);
    // the server's egress denies all; "fragmentation needed" passes only after the source checks
    assertThat(dp.fromPod(Packets.icmp(WORLD, CLIENT, 3, 4, 0, 0), IF_SERVER).reason())
        .isEqualTo(DropReasons.DROP_INVALID_SIP);
    assertThat(dp.fromPod(Packets.icmp(CLIENT, WORLD, 3, 4, 0, 0), IF_SERVER).reason())
        .isEqualTo(DropReasons.DROP_INVALID_SIP);
    assertThat(dp.packets(DropReasons.DROP_INVALID_SIP, Directions.DIR_EGRESS)).isEqualTo(2);
    assertThat(dp.fromPod(Packets.icmp(SERVER, WORLD, 3, 4, 0, 0), IF_SERVER).reason()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "twin"})
  void anIcmpErrorAboutATrackedConnectionPassesWithItAndAnUnrelatedOneIsJudged(String where) {
    Datapath dp = open(where);
    byte[] syn = Packets.tcp(CLIENT, SERVER, 40000, 80, Packets.TCP_SYN);
    assertThat(dp.fromPod(syn, IF_CLIENT).reason()).isZero();
    // the client's ingress denies all, and ICMP errors are not tracked: only the connection lets it in
    byte[] related = Packets.icmpError(WORLD, CLIENT, 11, 0, syn);
    Verdict v = dp.toPod(related);
    assertThat(v.reason()).isZero();
    assertThat(v.event()).isEmpty();
    assertThat(v.packet()).isEqualTo(related);
    byte[] unrelated = Packets.icmpError(WORLD, CLIENT, 11, 0, Packets.tcp(CLIENT, SERVER, 40009, 80, Packets.TCP_SYN));
    assertThat(dp.toPod(unrelated).reason()).isEqualTo(DropReasons.DROP_POLICY);
    // an error quoting another pod's connection is not this pod's
    assertThat(dp.toPod(Packets.icmpError(WORLD, SERVER, 11, 0, syn)).reason()).isEqualTo(DropReasons.DROP_POLICY);
    // the server, whose egress denies all, answers the connection its ingress let in with an error
    assertThat(dp.toPod(syn).reason()).isZero();
    assertThat(dp.fromPod(Packets.icmpError(SERVER, CLIENT, 3, 3, syn), IF_SERVER).reason()).isZero();
    assertThat(dp.fromPod(Packets.icmpError(SERVER, CLIENT, 3, 3,
        Packets.tcp(CLIENT, SERVER, 40009, 80, Packets.TCP_SYN)), IF_SERVER).reason()).isEqualTo(DropReasons.DROP_POLICY);
    // ... but not in the server's name from the client's interface
    assertThat(dp.fromPod(Packets.icmpError(SERVER, CLIENT, 3, 3, syn), IF_CLIENT).reason())
        .isEqualTo(DropReasons.DROP_INVALID_SIP);
  }

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "twin"})
  void anIcmpErrorAboutAServiceConnectionShowsTheFrontend(String where) {
    Datapath dp = open(where);
    Verdict out = dp.fromPod(Packets.tcp(CLIENT, FRONTEND, 40001, 8000, Packets.TCP_SYN), IF_CLIENT);
    assertThat(out.reason()).isZero();
    // the backend itself refuses (port unreachable), quoting the translated packet
    Verdict v = dp.toPod(Packets.icmpError(SERVER, CLIENT, 3, 3, out.packet()));
    assertThat(v.reason()).isZero();
    ByteBuffer b = ByteBuffer.wrap(v.packet());
    assertThat(b.getInt(26)).as("sender").isEqualTo(FRONTEND);
    assertThat(b.getInt(42 + 16)).as("quoted destination").isEqualTo(FRONTEND);
    assertThat(b.getShort(42 + 20 + 2)).as("quoted port").isEqualTo((short) 8000);
    assertThat(Packets.checksumsValid(v.packet())).as("checksums").isTrue();
    // a router on the way: only the quote changes
    Verdict r = dp.toPod(Packets.icmpError(WORLD, CLIENT, 11, 0, out.packet()));
    assertThat(r.reason()).isZero();
    assertThat(ByteBuffer.wrap(r.packet()).getInt(26)).isEqualTo(WORLD);
    assertThat(ByteBuffer.wrap(r.packet()).getInt(42 + 16)).isEqualTo(FRONTEND);
    assertThat(Packets.checksumsValid(r.packet())).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "twin"})
  void laterFragmentsOfAnAllowedFlowPassAndOrphansAreDropped(String where) {
    Datapath dp = open(where);
    byte[][] datagram = Packets.fragments(Packets.udp(CLIENT, SERVER, 5000, 53, new byte[64]), 24);
    // the server's ingress allows TCP 80 only: the UDP datagram is denied, and its later fragment too
    assertThat(dp.toPod(datagram[0]).reason()).isEqualTo(DropReasons.DROP_POLICY);
    assertThat(dp.toPod(datagram[1]).reason()).isEqualTo(DropReasons.DROP_FRAG_NOT_SUPPORTED);
    // the client's egress allows all: the later fragment follows its first
    assertThat(dp.fromPod(datagram[0], IF_CLIENT).reason()).isZero();
    Verdict later = dp.fromPod(datagram[1], IF_CLIENT);
    assertThat(later.reason()).isZero();
    assertThat(later.packet()).isEqualTo(datagram[1]);
    // one whose first fragment never came
    byte[][] orphan = Packets.fragments(Packets.udp(CLIENT, WORLD, 5001, 53, new byte[64]), 24);
    Verdict dropped = dp.fromPod(orphan[1], IF_CLIENT);
    assertThat(dropped.reason()).isEqualTo(DropReasons.DROP_FRAG_NOT_SUPPORTED);
    assertThat(dropped.event()).get().satisfies(e -> assertThat(e.reason()).isEqualTo(157));
    // a service's: later fragments get the backend's address (the first fragment's checksum covers it)
    byte[][] svc = Packets.fragments(Packets.tcp(CLIENT, FRONTEND, 40005, 8000, Packets.TCP_SYN, new byte[40]), 24);
    assertThat(dp.fromPod(svc[0], IF_CLIENT).reason()).isZero();
    Verdict rest = dp.fromPod(svc[1], IF_CLIENT);
    assertThat(rest.reason()).isZero();
    assertThat(ByteBuffer.wrap(rest.packet()).getInt(30)).isEqualTo(SERVER);
    assertThat(Packets.checksumsValid(rest.packet())).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "twin"})
  void laterFragmentsOfAnEstablishedTcpConnectionFollowTheirFirstOnBothHooks(String where) {
    Datapath dp = open(where);
    // past its SYN and first ACK, the connection's segments change no state: the kernel's plain path
    for (int flags : new int[] {Packets.TCP_SYN, Packets.TCP_ACK, Packets.TCP_ACK}) {
      assertThat(dp.fromPod(Packets.tcp(CLIENT, SERVER, 40009, 80, flags), IF_CLIENT).reason()).isZero();
      assertThat(dp.toPod(Packets.tcp(CLIENT, SERVER, 40009, 80, flags)).reason()).isZero();
    }
    // one datagram per hook (IP ids 1 and 2): each later fragment passes only if its own first recorded it
    byte[][] out = Packets.fragments(withIpId(Packets.tcp(CLIENT, SERVER, 40009, 80, Packets.TCP_ACK, new byte[64]), 1), 24);
    byte[][] in = Packets.fragments(withIpId(Packets.tcp(CLIENT, SERVER, 40009, 80, Packets.TCP_ACK, new byte[64]), 2), 24);
    assertThat(dp.fromPod(out[0], IF_CLIENT).reason()).isZero();
    Verdict later = dp.fromPod(out[1], IF_CLIENT);
    assertThat(later.reason()).isZero();
    assertThat(later.packet()).isEqualTo(out[1]);
    assertThat(dp.toPod(in[0]).reason()).isZero();
    assertThat(dp.toPod(in[1]).reason()).isZero();
  }

  /** {@code frame} with IP id {@code id} (its header checksum is left to {@link Packets#fragments}). */
  private static byte[] withIpId(byte[] frame, int id) {
    ByteBuffer.wrap(frame).putShort(18, (short) id);
    return frame;
  }

  @Test
  void eventsTheRingBufferHasNoRoomForAreCountedAsLost() {
    Kernel k = (Kernel) open("kernel");
    BpfMap lost = k.obj.map("hg_lost");
    assertThat(ScalarCodecs.sumPerCpuU64(lost.lookup(ScalarCodecs.U32.encode(0)))).isZero();
    // each run drops (no such endpoint) with an event; the 4 MiB buffer holds about 65,000 of them
    k.obj.program("to_pod").testRun(Packets.tcp(WORLD, ip(10, 9, 9, 9), 1, 80, Packets.TCP_SYN), 100_000, 0);
    long n = ScalarCodecs.sumPerCpuU64(lost.lookup(ScalarCodecs.U32.encode(0)));
    assertThat(n).isBetween(20_000L, 100_000L);
    assertThat(k.packets(DropReasons.DROP_UNROUTABLE, Directions.DIR_INGRESS)).isEqualTo(100_000);
  }
}
