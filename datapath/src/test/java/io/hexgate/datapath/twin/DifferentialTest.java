package io.hexgate.datapath.twin;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtLifetimes;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.FragKey;
import io.hexgate.datapath.abi.FragValue;
import io.hexgate.datapath.abi.MetricsValue;
import io.hexgate.datapath.abi.ProxyMarks;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.bpf.BpfMap;
import io.hexgate.datapath.bpf.BpfProgram;
import io.hexgate.datapath.bpf.JiffiesClock;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.bpf.RingBuffer;
import io.hexgate.datapath.bpf.TypedMap;
import io.hexgate.datapath.bpf.WithLoadedBpfObject;
import io.hexgate.datapath.maps.ConntrackGc;
import io.hexgate.datapath.maps.KernelConntrack;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.maps.MapWriter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Random packets against random policy, identity and service maps, through the BPF
 * programs (BPF_PROG_TEST_RUN) and through the Java twin: the same tc action, drop reason, output bytes,
 * events, counters, and conntrack table. Root only.
 *
 * <p>Conntrack expiries: the twin reads the kernel's jiffies ({@link JiffiesClock}) and counts lifetimes at its
 * HZ as the kernel does, but a moment later, so an expiry may differ by the time between the two runs of a
 * packet plus the second within which neither writes it again: expiries are compared within {@link
 * #EXPIRY_TOLERANCE_SECONDS}, everything else exactly. The
 * lifetimes are set long so that nothing expires by itself during a run (an entry expiring between the two
 * runs of one packet would be a difference of timing, not of decision); expiry is exercised by letting
 * random entries expire in both tables before some map sets.
 */
class DifferentialTest extends WithLoadedBpfObject {
  private static final int MAP_SETS = 8;
  private static final int PACKETS_PER_SET = 13_000;
  private static final int EXPIRY_TOLERANCE_SECONDS = 2;
  private static final CtLifetimes LONG_LIFETIMES = new CtLifetimes(7200, 1800, 600, 3000, 2400);

  @Test
  void kernelAndTwinAgreeOnRandomPackets() {
    long seed = Long.getLong("hexgate.diff.seed", System.nanoTime());
    MapWriter writer = new MapWriter(obj);
    BpfProgram fromPod = obj.program("from_pod");
    BpfProgram toPod = obj.program("to_pod");
    BpfProgram fromNetdev = obj.program("from_netdev");
    BpfProgram notReadyFromPod = obj.program("not_ready_from_pod");
    BpfProgram notReadyToPod = obj.program("not_ready_to_pod");
    BpfProgram toProxy = obj.program("to_proxy");
    BpfMap ct = obj.map("hg_ct");
    BpfMap frags = obj.map("hg_frags");
    List<Event> kernelEvents = new ArrayList<>();
    Map<Integer, Integer> reasons = new TreeMap<>();
    int rewritten = 0;
    int total = 0;
    int errorsPassed = 0;
    int laterFragmentsPassed = 0;
    int proxied = 0;
    KernelConntrack kernelCt = new KernelConntrack(obj);
    JiffiesClock clock = kernelCt.clock();
    JavaDatapath twin = new JavaDatapath(MapContents.EMPTY, clock::now, clock.hz());
    BpfMap counts = obj.map("hg_ct_counts");
    MapContents current = writer.readKernel();
    int generation = 0;
    int gcCut = 0;
    try (RingBuffer events = new RingBuffer(obj.map("hg_events"), b -> kernelEvents.add(Event.CODEC.read(b)))) {
      for (int set = 0; set < MAP_SETS; set++) {
        long setSeed = seed + set;
        RandomWorld world = new RandomWorld(setSeed);
        MapContents next = MapContents.build(world.state, current).withInterfaces(world::ifindexOf);
        assertThat(next.endpointErrors()).isEmpty();
        writer.write(current, next);
        // a quota small enough to be reached now and then (155)
        int quota = set % 4 == 1 ? 25 + world.rnd.nextInt(20) : 0;
        generation++;
        Config config = new Config(0, generation, quota, LONG_LIFETIMES, clock.hz());
        kernelCt.configure(config);
        twin.configure(config);
        if (set % 2 == 0) {
          // a fresh start: no connections in either
          ct.keys().forEach(ct::delete);
          frags.keys().forEach(frags::delete);
          counts.keys().forEach(counts::delete);
          twin.clearConntrack();
          twin.clearFragments();
        }
        current = next;
        twin.update(current);
        if (set % 2 == 1) {
          // connections survive the change of maps; those of departed endpoints, changed identities or
          // policies that no longer allow them are cut when next used (the generation moved on), idle ones
          // by the GC (here on every other such set)
          expireSome(world, kernelCt, twin);
          if (set % 4 == 3) {
            ConntrackGc.Pass k = kernelCt.collectGarbage(current);
            ConntrackGc.Pass t = twin.collectGarbage();
            assertThat(k.cut()).as("connections cut by the GC").isEqualTo(t.cut());
            assertThat(k.deletions()).containsExactlyInAnyOrderElementsOf(t.deletions());
            assertThat(kernelCt.counts()).isEqualTo(twin.conntrackCounts());
            gcCut += k.cut();
          }
          assertSameConntrack(kernelCt.entries(), twin.conntrack(), clock.hz(), "after the change of maps, seed " + setSeed);
        }
        events.consume();
        kernelEvents.clear();
        List<Event> twinEvents = new ArrayList<>();

        for (int i = 0; i < PACKETS_PER_SET; i++) {
          RandomWorld.Shot shot = world.next();
          String what = "seed " + setSeed + " packet " + i + " " + shot.hookName() + " if " + shot.ifindex()
              + " mark " + Integer.toHexString(shot.mark()) + " " + HexFormat.of().formatHex(shot.frame());
          BpfProgram.TestRun k;
          BpfProgram program = switch (shot.hook()) {
            case RandomWorld.FROM_POD -> fromPod;
            case RandomWorld.TO_POD -> toPod;
            default -> fromNetdev;
          };
          try {
            k = program.testRun(shot.frame(), 1, shot.ifindex(), shot.mark());
          } catch (RuntimeException e) {
            throw new AssertionError(what, e);
          }
          Verdict t = switch (shot.hook()) {
            case RandomWorld.FROM_POD -> twin.fromPod(shot.frame(), shot.ifindex(), shot.mark());
            case RandomWorld.TO_POD -> twin.toPod(shot.frame(), shot.mark());
            default -> twin.fromNetdev(shot.frame());
          };
          assertThat(k.cb0()).as(what + ": reason").isEqualTo(t.reason());
          assertThat(k.retval()).as(what + ": tc action").isEqualTo(t.tcAction());
          assertThat(k.mark()).as(what + ": mark").isEqualTo(t.mark());
          assertThat(HexFormat.of().formatHex(k.packet())).as(what + ": output").isEqualTo(
              HexFormat.of().formatHex(t.packet()));
          t.event().ifPresent(twinEvents::add);
          reasons.merge(t.reason(), 1, Integer::sum);
          if (t.toProxy()) {
            proxied++;
          }
          // what to_pod turned into lo's ingress meets to_proxy there; now and then other frames do too,
          // marked or not
          if (t.tcAction() == Verdict.TC_ACT_REDIRECT || i % 16 == 11) {
            byte[] f = t.tcAction() == Verdict.TC_ACT_REDIRECT ? t.packet() : shot.frame();
            int mark = t.tcAction() == Verdict.TC_ACT_REDIRECT ? t.mark()
                : world.rnd.nextBoolean() ? ProxyMarks.MARK_TO_PROXY : shot.mark();
            BpfProgram.TestRun kl = toProxy.testRun(f, 1, 0, mark);
            Verdict tl = twin.toProxy(f, mark);
            assertThat(kl.cb0()).as(what + ": to_proxy reason").isEqualTo(tl.reason());
            assertThat(kl.retval()).as(what + ": to_proxy tc action").isEqualTo(tl.tcAction());
            assertThat(kl.mark()).as(what + ": to_proxy mark").isEqualTo(tl.mark());
            tl.event().ifPresent(twinEvents::add);
            reasons.merge(tl.reason(), 1, Integer::sum);
          }
          if (t.forwarded() && shot.hook() != RandomWorld.FROM_NETDEV) {
            byte[] f = shot.frame();
            if (f.length > 34 && (f[23] & 0xff) == 1 && java.util.Set.of(3, 11, 12).contains(f[34] & 0xff)) {
              errorsPassed++;
            }
            if (f.length > 34 && (((f[20] & 0x1f) << 8) | (f[21] & 0xff)) != 0) {
              laterFragmentsPassed++;
            }
            world.forwarded(t.packet());
            if (!java.util.Arrays.equals(t.packet(), shot.frame())) {
              rewritten++;
              if (Packets.checksumsValid(shot.frame())) {
                assertThat(Packets.checksumsValid(k.packet())).as(what + ": checksums after translation").isTrue();
              }
            }
          }
          total++;
          if (i % 16 == 7) {
            // the same frame on an interface whose endpoint has no policy in force yet
            BpfProgram.TestRun kn = (shot.fromPod() ? notReadyFromPod : notReadyToPod).testRun(shot.frame());
            Verdict tn = shot.fromPod() ? twin.notReadyFromPod(shot.frame()) : twin.notReadyToPod(shot.frame());
            assertThat(kn.cb0()).as(what + ": not_ready reason").isEqualTo(tn.reason());
            assertThat(kn.retval()).as(what + ": not_ready tc action").isEqualTo(tn.tcAction());
            assertThat(HexFormat.of().formatHex(kn.packet())).as(what + ": not_ready output")
                .isEqualTo(HexFormat.of().formatHex(tn.packet()));
            tn.event().ifPresent(twinEvents::add);
            reasons.merge(tn.reason(), 1, Integer::sum);
          }
          if (i % 2000 == 1999) {
            events.consume(); // keep the ring buffer from filling up
          }
        }
        events.consume();
        assertThat(kernelEvents.stream().map(Event::withoutTime).toList()).as("events, seed " + setSeed)
            .isEqualTo(twinEvents);
        Map<CtKey, CtValue> kernelEntries = kernelCt.entries();
        assertSameConntrack(kernelEntries, twin.conntrack(), clock.hz(), "conntrack, seed " + setSeed);
        assertThat(kernelEntries).isNotEmpty();
        if (quota > 0) {
          assertThat(kernelCt.counts()).as("connections per endpoint, seed " + setSeed)
              .isEqualTo(twin.conntrackCounts());
        }
        assertThat(frags.typed(FragKey.CODEC, FragValue.CODEC).entries())
            .as("fragments, seed " + setSeed).isEqualTo(twin.fragments());
      }
    }
    for (int reason : reasons.keySet()) {
      for (int dir : new int[] {Directions.DIR_INGRESS, Directions.DIR_EGRESS, Directions.DIR_NETDEV}) {
        byte[] perCpu = obj.map("hg_metrics").lookup(ScalarCodecs.U32.encode(io.hexgate.datapath.abi.MetricsValue.metricsSlot(reason, dir)));
        assertThat(MetricsValue.sumPerCpu(perCpu)).as("counter " + reason + "/" + dir)
            .isEqualTo(twin.counter(reason, dir));
      }
    }
    System.out.printf("differential test: %d packets, seed %d, reasons %s, %d rewritten by translation, "
        + "%d ICMP errors and %d later fragments passed, %d connections cut by the GC, %d packets to the proxy%n",
        total, seed, reasons, rewritten, errorsPassed, laterFragmentsPassed, gcCut, proxied);
    assertThat(total).isGreaterThanOrEqualTo(100_000);
    // every path was taken: forwarded, policy (133/181), redirect without a proxy listener (178) or of a
    // protocol it does not take (180), service (158), malformed (134/139/157), wrong endpoint (132/151),
    // quota (155), no policy in force yet (203), translation both ways, and connections the proxy's upstream
    // recorded, whose other packets go to the proxy
    assertThat(reasons.keySet()).contains(0, 132, 133, 134, 139, 151, 155, 157, 158, 178, 180, 181, 203);
    assertThat(proxied).isGreaterThan(50);
    assertThat(rewritten).isGreaterThan(100);
    assertThat(errorsPassed).isGreaterThan(50);
    assertThat(laterFragmentsPassed).isGreaterThan(50);
  }

  /** Lets about a tenth of the entries expire, the same ones in both tables. */
  private static void expireSome(RandomWorld world, KernelConntrack kernelCt, JavaDatapath twin) {
    TypedMap<CtKey, CtValue> ct = obj.map("hg_ct").typed(CtKey.CODEC, CtValue.CODEC);
    long past = kernelCt.clock().now() - 1;
    for (Map.Entry<CtKey, CtValue> e : twin.conntrack().entrySet()) {
      if (world.rnd.nextInt(10) == 0) {
        CtValue kernel = ct.get(e.getKey()).orElseThrow();
        ct.put(e.getKey(), kernel.withExpires(past));
        twin.putConntrack(e.getKey(), e.getValue().withExpires(past));
      }
    }
  }

  /** Equal tables, expiries within the tolerance (see the class comment). */
  private static void assertSameConntrack(Map<CtKey, CtValue> kernel, Map<CtKey, CtValue> twin, int hz, String what) {
    assertThat(kernel.keySet()).as(what + ": keys").isEqualTo(twin.keySet());
    for (Map.Entry<CtKey, CtValue> e : kernel.entrySet()) {
      CtValue k = e.getValue();
      CtValue t = twin.get(e.getKey());
      assertThat(k.withExpires(0)).as(what + ": " + e.getKey()).isEqualTo(t.withExpires(0));
      assertThat(Math.abs(k.expires() - t.expires())).as(what + ": expiry of " + e.getKey())
          .isLessThanOrEqualTo((long) EXPIRY_TOLERANCE_SECONDS * hz);
    }
  }
}
