package io.hexgate.bench.observe;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.datapath.flow.hubble.HubbleFlows;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.filter.FlowFilters;
import io.hexgate.observer.filter.FlowPredicate;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.observer.peer.PeerTable;
import io.hexgate.observer.server.HubbleServices;
import io.hexgate.operator.relay.AgentDialer;
import io.hexgate.operator.relay.HubbleRelay;
import io.hexgate.operator.relay.RelayOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Hubble flows in one agent and through the relay: how many flows per second one agent's path takes (ring
 * record decoded, contract flow, named, kept in the ring, one filtering follower served over gRPC), whether
 * a follower at a sustained rate loses any, the latency the relay adds, and what buffered flows cost in heap.
 * Every loop is bounded in time.
 */
public final class ObserveBenchmark {
  /** Flows per second one agent's path must take with a follower attached. */
  public static final double TARGET_FLOWS_PER_SECOND = 500_000;
  /** The most the relay may add to a flow's latency, at the 99th percentile. */
  public static final double TARGET_RELAY_P99_MS = 50;

  private static final String NODE = "node-1";
  // A follower cancelled while its server writes makes gRPC's server handler log a stream error with its
  // stack through java.util.logging; held so the setting is not collected.
  private static final java.util.logging.Logger SERVER_HANDLER_LOG =
      java.util.logging.Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");
  private static final int MAX_SAMPLES = 200_000;

  /**
   * @param seconds measured seconds of each throughput run (after {@code warmupSeconds})
   * @param sustainedRate flows/s of the paced run, for {@code sustainedSeconds}
   * @param agents agents behind the relay, each pushed {@code relayRatePerAgent} flows/s for {@code relaySeconds}
   * @param relaySaturationSeconds seconds the agents behind the relay are pushed as fast as possible
   * @param ringCapacity the agents' ring (Hubble's default 4095)
   * @param memoryRing the ring filled for the heap reading
   * @param rounds how many times each one-follower run is repeated; the median run is reported, as two cores
   *     shared by the producer, the follower and gRPC's event loops give runs seconds apart different rates
   */
  public record Config(AgentWorkload.Size workload, double warmupSeconds, double seconds, int sustainedRate,
      double sustainedSeconds, int agents, int relayRatePerAgent, double relaySeconds, double relaySaturationSeconds,
      int ringCapacity, int memoryRing, int rounds) {
    public static final Config DEFAULT =
        new Config(AgentWorkload.Size.DEFAULT, 2, 5, 100_000, 60, 10, 300, 15, 5, FlowRing.DEFAULT_CAPACITY, 16_383, 3);

    public Config {
      if (!(warmupSeconds >= 0) || !(seconds > 0) || sustainedRate < 1 || !(sustainedSeconds > 0) || agents < 1
          || relayRatePerAgent < 1 || !(relaySeconds > 0) || !(relaySaturationSeconds > 0) || rounds < 1) {
        throw new IllegalArgumentException("durations, rates, rounds and the agent count must be positive");
      }
      new FlowRing(ringCapacity); // throws unless 2^n-1
      new FlowRing(memoryRing);
    }

    public Config withSustainedSeconds(double s) {
      return new Config(workload, warmupSeconds, seconds, sustainedRate, s, agents, relayRatePerAgent, relaySeconds,
          relaySaturationSeconds, ringCapacity, memoryRing, rounds);
    }
  }

  private final Config config;
  private final Consumer<String> progress;
  private final AgentWorkload workload;
  private final GetFlowsRequest filtered = AgentWorkload.followDropsOrDefault();
  private final boolean[] matches;

  public ObserveBenchmark(Config config, Consumer<String> progress) {
    this.config = config;
    this.progress = progress;
    SERVER_HANDLER_LOG.setLevel(java.util.logging.Level.SEVERE);
    this.workload = new AgentWorkload(config.workload());
    this.matches = matches(workload, filtered);
  }

  /** Which records of the pool the filtering follower's whitelist lets through. */
  private static boolean[] matches(AgentWorkload workload, GetFlowsRequest request) {
    FlowPredicate filter = FlowFilters.compile(request.getWhitelistList(), request.getBlacklistList());
    HubbleFlows named = new HubbleFlows(NODE, workload.names());
    boolean[] m = new boolean[workload.recordCount()];
    try (SimulatedAgent probe = start(workload, 1, false)) {
      for (int i = 0; i < m.length; i++) {
        m[i] = filter.test(named.toHubble(probe.flow(i)));
      }
    }
    return m;
  }

  private static SimulatedAgent start(AgentWorkload workload, int capacity, boolean serve) {
    try {
      return SimulatedAgent.start(NODE, workload, capacity, serve);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public ObserveResult run() throws Exception {
    double fraction = 0;
    for (boolean m : matches) {
      fraction += m ? 1 : 0;
    }
    fraction /= matches.length;
    progress.accept(String.format("workload: %d local endpoints, %d remote pods, %d identities, %d services, %d records;"
            + " %.1f%% of flows pass the follower's filter", config.workload().localEndpoints(),
        config.workload().remotePods(), config.workload().identities(), config.workload().services(),
        config.workload().records(), 100 * fraction));
    ObserveResult.Memory memory = memory();
    progress.accept("memory: " + memory);
    List<ObserveResult.Stage> stages = stages();
    stages.forEach(s -> progress.accept("stage: " + s));
    List<ObserveResult.Followed> tcp = followedRounds("loopback TCP", true);
    List<ObserveResult.Followed> inProcess = followedRounds("in-process", false);
    ObserveResult.Sustained sustained = sustained();
    progress.accept("sustained: " + sustained);
    ObserveResult.Relay relay = relay();
    progress.accept("relay: " + relay);
    return new ObserveResult(config, fraction, memory, stages, tcp, inProcess, sustained, relay);
  }

  // ------------------------------------------------------------------------------------------ memory

  private ObserveResult.Memory memory() throws InterruptedException {
    try (SimulatedAgent agent = start(workload, config.memoryRing(), false)) {
      long empty = heapAfterGc();
      long bytes = 0;
      for (int i = 0; i < config.memoryRing(); i++) {
        agent.push(i);
      }
      long full = heapAfterGc();
      HubbleFlows named = new HubbleFlows(NODE, workload.names());
      for (int i = 0; i < 1000; i++) {
        bytes += named.toHubble(agent.flow(i)).getSerializedSize();
      }
      if (agent.observer().status().getNumFlows() != config.memoryRing()) {
        throw new IllegalStateException("the ring holds " + agent.observer().status().getNumFlows() + " flows");
      }
      return new ObserveResult.Memory(config.memoryRing(), empty, full, bytes / 1000.0);
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  // ------------------------------------------------------------------------------------------ stages

  private List<ObserveResult.Stage> stages() {
    List<ObserveResult.Stage> out = new ArrayList<>();
    try (SimulatedAgent agent = start(workload, config.ringCapacity(), false)) {
      HubbleFlows named = new HubbleFlows(NODE, workload.names());
      long[] sink = new long[1];
      // the whole path first, so that no stage pays for compiling what a later one uses
      long warm = System.nanoTime() + seconds(2 * config.warmupSeconds());
      for (int i = 0; System.nanoTime() < warm; i++) {
        agent.push(i);
      }
      out.add(stage("decode the ring-buffer record", i -> sink[0] += SimulatedAgent.decode(workload.record(i, System.nanoTime())).dport()));
      out.add(stage("+ contract flow (EventFlows)", i -> sink[0] += agent.flow(i).getDestinationPort()));
      out.add(stage("+ Hubble flow (HubbleFlows)", i -> sink[0] += named.toHubble(agent.flow(i)).getSource().getIdentity()));
      out.add(stage("+ LocalObserver.onFlow (ring), no follower", agent::push));
      if (sink[0] == 42) {
        progress.accept("(sink " + sink[0] + ")"); // keeps the work from being optimized away
      }
    }
    return out;
  }

  private ObserveResult.Stage stage(String name, IntConsumer work) {
    int i = 0;
    long warm = System.nanoTime() + seconds(config.warmupSeconds());
    while (System.nanoTime() < warm) {
      work.accept(i++);
    }
    long start = System.nanoTime();
    long end = start + seconds(config.seconds() / 2);
    long count = 0;
    long now;
    do {
      for (int k = 0; k < 256; k++) {
        work.accept(i++);
      }
      count += 256;
      now = System.nanoTime();
    } while (now < end);
    return new ObserveResult.Stage(name, count * 1e9 / (now - start));
  }

  // ------------------------------------------------------------------------------------------ one follower

  /** A channel to the agent's Observer: its TCP port, or an in-process server of the same observer. */
  private record Connection(ManagedChannel channel, Server inProcessServer) implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      if (inProcessServer != null) {
        inProcessServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static Connection connect(SimulatedAgent agent, boolean tcp) throws IOException {
    if (tcp) {
      return new Connection(Grpc.newChannelBuilder(agent.target(), InsecureChannelCredentials.create())
          .directExecutor().build(), null);
    }
    String name = "hexgate-bench-observe-" + System.nanoTime();
    Server server = HubbleServices.addTo(InProcessServerBuilder.forName(name), agent.observer()).build().start();
    return new Connection(InProcessChannelBuilder.forName(name).directExecutor().build(), server);
  }

  /** Pushes matching flows one by one until the follower has one: from then on it sees every write. */
  private void awaitFollowing(SimulatedAgent agent, Follower follower, int[] next) throws InterruptedException {
    long deadline = System.nanoTime() + seconds(10);
    while (follower.flows() == 0) {
      if (System.nanoTime() > deadline || follower.ended()) {
        throw new IllegalStateException(follower.name() + " receives no flows" + failure(follower));
      }
      int i = next[0]++;
      if (matches[i % matches.length]) {
        agent.push(i);
      }
      Thread.sleep(5);
    }
    Thread.sleep(200);
  }

  private static String failure(Follower f) {
    return f.failure() == null ? "" : ": " + f.failure();
  }

  /** The one-follower run {@code rounds} times, in the order run. */
  private List<ObserveResult.Followed> followedRounds(String transport, boolean tcp) throws Exception {
    List<ObserveResult.Followed> runs = new ArrayList<>();
    for (int r = 0; r < config.rounds(); r++) {
      ObserveResult.Followed f = followed(transport, tcp);
      progress.accept("followed: " + f);
      runs.add(f);
    }
    return runs;
  }

  private ObserveResult.Followed followed(String transport, boolean tcp) throws Exception {
    try (SimulatedAgent agent = start(workload, config.ringCapacity(), tcp);
        Connection c = connect(agent, tcp);
        Follower follower = Follower.start(transport, c.channel(), filtered, null, 0)) {
      int[] next = {0};
      awaitFollowing(agent, follower, next);
      int i = next[0];
      long warm = System.nanoTime() + seconds(config.warmupSeconds());
      while (System.nanoTime() < warm) {
        agent.push(i++);
      }
      long delivered0 = follower.flows();
      long lost0 = follower.ringLost();
      long start = System.nanoTime();
      long end = start + seconds(config.seconds());
      long pushed = 0;
      long matched = 0;
      long now;
      do {
        for (int k = 0; k < 64; k++, i++) {
          agent.push(i);
          matched += matches[i % matches.length] ? 1 : 0;
        }
        pushed += 64;
        now = System.nanoTime();
      } while (now < end);
      double elapsed = (now - start) / 1e9;
      long delivered = follower.flows() - delivered0;
      long lost = follower.ringLost() - lost0;
      return new ObserveResult.Followed(transport, pushed / elapsed, matched / elapsed, delivered / elapsed,
          lost / elapsed, follower.failure() == null ? null : follower.failure().toString());
    }
  }

  // ------------------------------------------------------------------------------------------ sustained

  private ObserveResult.Sustained sustained() throws Exception {
    try (SimulatedAgent agent = start(workload, config.ringCapacity(), true);
        Connection c = connect(agent, true);
        Follower follower = Follower.start("sustained", c.channel(), filtered, null, 0)) {
      int[] next = {0};
      awaitFollowing(agent, follower, next);
      long delivered0 = follower.flows();
      int first = next[0];
      Paced paced = pace(config.sustainedRate(), config.sustainedSeconds(), first, k -> agent.push(k));
      long matched = 0;
      for (long k = first; k < first + paced.pushed(); k++) {
        matched += matches[(int) (k % matches.length)] ? 1 : 0;
      }
      long expected = delivered0 + matched;
      // what is still on its way: bounded wait until the follower has everything or stops getting more
      long deadline = System.nanoTime() + seconds(10);
      long seen = -1;
      while (follower.flows() < expected && System.nanoTime() < deadline && follower.flows() != seen) {
        seen = follower.flows();
        Thread.sleep(500);
      }
      long delivered = follower.flows() - delivered0;
      return new ObserveResult.Sustained(config.sustainedRate(), paced.pushed(), paced.seconds(), paced.maxBehindMs(),
          matched, delivered, follower.ringLost(), follower.otherLost(),
          follower.failure() == null ? null : follower.failure().toString());
    }
  }

  /** What a paced run did: flows pushed, in how long, and how far the producer fell behind its schedule at worst. */
  private record Paced(long pushed, double seconds, double maxBehindMs) {}

  /** Calls {@code push} with index first, first+1, ... at {@code rate} per second for {@code seconds}. */
  private static Paced pace(int rate, double seconds, int first, IntConsumer push) {
    long start = System.nanoTime();
    long end = start + seconds(seconds);
    long pushed = 0;
    long maxBehind = 0;
    long now;
    while ((now = System.nanoTime()) < end) {
      long due = (long) ((now - start) * (double) rate / 1e9);
      if (pushed >= due) {
        LockSupport.parkNanos(100_000);
        continue;
      }
      // how late the oldest flow due now is
      long dueAt = start + (long) (pushed * 1e9 / rate);
      maxBehind = Math.max(maxBehind, now - dueAt);
      for (long limit = Math.min(due, pushed + 1000); pushed < limit; pushed++) {
        push.accept((int) ((first + pushed) & Integer.MAX_VALUE));
      }
    }
    return new Paced(pushed, (System.nanoTime() - start) / 1e9, maxBehind / 1e6);
  }

  // ------------------------------------------------------------------------------------------ relay

  private ObserveResult.Relay relay() throws Exception {
    List<SimulatedAgent> agents = new ArrayList<>();
    PeerTable peers = new PeerTable();
    Server relayServer = null;
    HubbleRelay relay = null;
    ManagedChannel toRelay = null;
    ManagedChannel toAgent = null;
    try {
      for (int n = 1; n <= config.agents(); n++) {
        SimulatedAgent a = SimulatedAgent.start("node-" + n, workload, config.ringCapacity(), true);
        agents.add(a);
        peers.put(new PeerInfo(a.node(), a.target(), null));
      }
      relay = new HubbleRelay(peers, AgentDialer.plaintext(), RelayOptions.defaults("hexgate-relay", SimulatedAgent.VERSION));
      relayServer = HubbleServices.addTo(
              Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()), relay)
          .build().start();
      int relayPort = ((InetSocketAddress) relayServer.getListenSockets().get(0)).getPort();
      toRelay = Grpc.newChannelBuilder("127.0.0.1:" + relayPort, InsecureChannelCredentials.create()).directExecutor().build();
      toAgent = Grpc.newChannelBuilder(agents.get(0).target(), InsecureChannelCredentials.create()).directExecutor().build();
      GetFlowsRequest all = AgentWorkload.followAll();
      try (Follower viaRelay = Follower.start("relay", toRelay, all, NODE, MAX_SAMPLES);
          Follower direct = Follower.start("agent", toAgent, all, NODE, MAX_SAMPLES)) {
        long deadline = System.nanoTime() + seconds(10);
        while (viaRelay.nodeStatuses() == 0 && System.nanoTime() < deadline && !viaRelay.ended()) {
          Thread.sleep(50);
        }
        if (viaRelay.nodeStatuses() == 0) {
          throw new IllegalStateException("the relay reports no node" + failure(viaRelay));
        }
        int n = agents.size();
        IntConsumer roundRobin = k -> agents.get(k % n).push(k / n);
        int rate = config.relayRatePerAgent() * n;
        Paced warm = pace(rate, config.warmupSeconds(), 0, roundRobin);
        int first = (int) warm.pushed();
        // every flow goes through (no filter): wait until the relay has caught up with the warm-up
        long caughtUp = System.nanoTime() + seconds(10);
        while (viaRelay.flows() < warm.pushed() && System.nanoTime() < caughtUp) {
          Thread.sleep(50);
        }
        long relayed0 = viaRelay.flows();
        viaRelay.timing(true);
        direct.timing(true);
        Paced paced = pace(rate, config.relaySeconds(), first, roundRobin);
        Thread.sleep(1000); // the sort buffer lets its last flows go after its quiet time (200 ms)
        viaRelay.timing(false);
        direct.timing(false);
        long relayed = viaRelay.flows() - relayed0;
        long missing = Math.max(0, warm.pushed() + paced.pushed() - viaRelay.flows());
        long[] added = added(direct.arrivals(), viaRelay.arrivals());
        long[] directAges = direct.ages();
        long[] relayAges = viaRelay.ages();
        long lostPaced = viaRelay.ringLost();

        // as fast as the agents take flows
        first += (int) paced.pushed();
        long saturated0 = viaRelay.flows();
        long start = System.nanoTime();
        long end = start + seconds(config.relaySaturationSeconds());
        long pushed = 0;
        while (System.nanoTime() < end) {
          for (int k = 0; k < 64; k++) {
            roundRobin.accept((int) ((first + pushed++) & Integer.MAX_VALUE));
          }
        }
        double satSeconds = (System.nanoTime() - start) / 1e9;
        long saturated = viaRelay.flows() - saturated0;
        return new ObserveResult.Relay(n, rate, paced.pushed() / paced.seconds(), relayed / paced.seconds(),
            missing, lostPaced, ms(percentile(directAges, 50)), ms(percentile(directAges, 99)), ms(percentile(relayAges, 50)),
            ms(percentile(relayAges, 99)), added.length, ms(percentile(added, 50)), ms(percentile(added, 99)),
            ms(added.length == 0 ? 0 : added[added.length - 1]), pushed / satSeconds, saturated / satSeconds,
            viaRelay.ringLost() - lostPaced,
            viaRelay.failure() == null ? null : viaRelay.failure().toString());
      }
    } finally {
      if (toRelay != null) {
        toRelay.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      if (toAgent != null) {
        toAgent.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      if (relayServer != null) {
        relayServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      if (relay != null) {
        relay.close();
      }
      agents.forEach(SimulatedAgent::close);
    }
  }

  /** For each flow both followers got: relay arrival minus direct arrival (ns), sorted. */
  private static long[] added(Map<String, Long> direct, Map<String, Long> viaRelay) {
    long[] out = new long[Math.min(direct.size(), viaRelay.size())];
    int k = 0;
    for (Map.Entry<String, Long> e : viaRelay.entrySet()) {
      Long d = direct.get(e.getKey());
      if (d != null && k < out.length) {
        out[k++] = e.getValue() - d;
      }
    }
    out = Arrays.copyOf(out, k);
    Arrays.sort(out);
    return out;
  }

  static long percentile(long[] values, double p) {
    if (values.length == 0) {
      return 0;
    }
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static long seconds(double s) {
    return (long) (s * 1e9);
  }
}
