package io.hexgate.datapath.bench;

import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.BpfProgram;
import io.hexgate.datapath.bpf.Tc;
import io.hexgate.datapath.enforce.BpfDatapath;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmarks (b) and (c) of issue 5: traffic between two pod namespaces of one node namespace, with
 * Hexgate enforcing N rules, an empty tc program at the same hooks, no program, the same rules as linear
 * iptables rules, and as one nftables set. Metrics: TCP request/response rate on one connection (1-byte
 * ping-pong), connection rate (connect, 1-byte exchange, close), and iperf3 throughput.
 *
 * <p>The machine is shared and its speed drifts by tens of percent within a minute, so setups are compared
 * in pairs measured seconds apart: each round measures one metric under every setup in turn (order
 * rotating from round to round), switching between no program, the empty program and Hexgate by replacing
 * one tc filter (instant). A setup's ratio to another is the median over rounds of the ratios within a
 * round; absolute numbers are medians too.
 *
 * <p>The rules: the server pod admits N (source, TCP port) pairs; the client is one source, allowed on the
 * three ports the benchmark uses, the others are addresses in 10.200.0.0/16 with identities of their own.
 * In iptables they are one rule each in a chain the server's traffic jumps to, the client's last (the
 * worst case of a linear chain, which every packet to the server walks), then DROP; in nftables one rule
 * matching a set of address . port; in Hexgate the server's ingress rule map.
 */
public final class NetworkBenchmark {
  public static final int RR_PORT = 7000;
  public static final int CRR_PORT = 7001;
  public static final int IPERF_PORT = 5201;
  /**
   * One connection's ping-pong waits on wake-ups (about 100 µs a round trip on an idle machine), which
   * hides what a filter costs per packet; enough connections at once keep both cores busy, as a load
   * generator against a web server does, so the filter's per-packet cost sets the rate.
   */
  public static final int PARALLEL_CONNECTIONS = 16;
  private static final long CLIENT_ID = 5000;
  private static final long SERVER_ID = 5001;
  private static final long OTHERS_ID = 100_000;

  /** What filters the server's traffic. */
  public enum Setup {
    NONE("no program"),
    EMPTY("empty tc program"),
    HEXGATE_SMALL("Hexgate, %d rules"),
    HEXGATE_LARGE("Hexgate, %d rules"),
    IPTABLES("iptables, %d rules"),
    NFTABLES("nftables set, %d elements");

    final String label;

    Setup(String label) {
      this.label = label;
    }
  }

  /**
   * @param segmentationOffload false: TSO, GSO and GRO off on the pods' eth0 (ethtool), so filters see every
   *     wire-sized packet; true: 64 KB GSO packets cross the veths and filters see one per 64 KB
   */
  public record Config(String prefix, Duration perPoint, int rounds, int smallRules, int largeRules, List<Setup> setups,
      boolean segmentationOffload) {
    public static final Config DEFAULT =
        new Config("hgbn-", Duration.ofSeconds(2), 5, 1_000, 10_000, List.of(Setup.values()), false);

    public Config {
      if (perPoint.toMillis() < 500 || rounds < 1 || smallRules < 4 || largeRules < 4 || largeRules > 60_000) {
        throw new IllegalArgumentException(
            "network benchmark: --seconds must be >= 0.5, --rounds >= 1, rule counts within 4..60000");
      }
      setups = List.copyOf(setups);
    }
  }

  /** What is measured. */
  public enum Metric {
    REQUESTS("requests/s (one connection)"),
    PARALLEL_REQUESTS("requests/s (" + PARALLEL_CONNECTIONS + " connections)"),
    CONNECTIONS("connections/s"),
    THROUGHPUT("iperf3 Gbit/s");

    final String label;
    final String shortName;

    Metric(String label) {
      this.label = label;
      this.shortName = label.startsWith("requests/s (one") ? "requests" : label.startsWith("requests/s")
          ? "parallel requests" : label.startsWith("connections") ? "connections" : "throughput";
    }
  }

  /** values[setup][metric] = one value per round. */
  public record Result(Config config, Map<Setup, Map<Metric, double[]>> values) {
    public double median(Setup s, Metric m) {
      return median(values.get(s).get(m));
    }

    /** Median over rounds of a / b measured in the same round. */
    public double ratio(Setup a, Setup b, Metric m) {
      double[] x = values.get(a).get(m);
      double[] y = values.get(b).get(m);
      double[] r = new double[x.length];
      for (int i = 0; i < r.length; i++) {
        r[i] = x[i] / y[i];
      }
      return median(r);
    }

    private static double median(double[] v) {
      double[] s = v.clone();
      java.util.Arrays.sort(s);
      return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * The report in Markdown: medians per setup, paired ratios to the empty program, and the issue's
     * targets with whether this run met them.
     */
    public String markdown() {
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "%d rounds, %.1f s per point, segmentation offload %s; medians, ratios paired within a round.%n%n",
          config.rounds(), config.perPoint().toMillis() / 1000.0,
          config.segmentationOffload() ? "on (64 KB packets)" : "off (one MSS per packet)"));
      boolean empty = values.containsKey(Setup.EMPTY);
      b.append("| setup |");
      for (Metric m : Metric.values()) {
        b.append(' ').append(m.label).append(" |");
      }
      if (empty) {
        for (Metric m : Metric.values()) {
          b.append(' ').append(m.shortName).append(" vs empty |");
        }
      }
      b.append("\n|---|").append("---:|".repeat(Metric.values().length * (empty ? 2 : 1))).append('\n');
      for (Setup s : Setup.values()) {
        if (!values.containsKey(s)) {
          continue;
        }
        b.append("| ").append(label(s)).append(" |");
        for (Metric m : Metric.values()) {
          b.append(String.format(Locale.ROOT, m == Metric.THROUGHPUT ? " %.2f |" : " %,.0f |", median(s, m)));
        }
        if (empty) {
          for (Metric m : Metric.values()) {
            b.append(String.format(Locale.ROOT, " %.3f× |", ratio(s, Setup.EMPTY, m)));
          }
        }
        b.append('\n');
      }
      b.append("\n| target (issue 5) | measured | met |\n|---|---:|---|\n");
      for (Target t : targets()) {
        b.append(String.format(Locale.ROOT, "| %s | %.3f× | %s |%n", t.what(), t.measured(), t.met() ? "yes" : "**no**"));
      }
      return b.toString();
    }

    /** One target of the issue and this run's ratio. */
    public record Target(String what, double measured, double required) {
      public boolean met() {
        return measured >= required;
      }
    }

    public List<Target> targets() {
      List<Target> t = new ArrayList<>();
      String small = label(Setup.HEXGATE_SMALL);
      String large = label(Setup.HEXGATE_LARGE);
      if (values.containsKey(Setup.HEXGATE_SMALL) && values.containsKey(Setup.EMPTY)) {
        t.add(new Target("(b) " + small + ": requests/s (" + PARALLEL_CONNECTIONS + " connections) ≥ 0.97× the empty program's",
            ratio(Setup.HEXGATE_SMALL, Setup.EMPTY, Metric.PARALLEL_REQUESTS), 0.97));
        t.add(new Target("(b) " + small + ": throughput ≥ 0.95× the empty program's",
            ratio(Setup.HEXGATE_SMALL, Setup.EMPTY, Metric.THROUGHPUT), 0.95));
      }
      if (values.containsKey(Setup.HEXGATE_LARGE) && values.containsKey(Setup.IPTABLES)) {
        t.add(new Target("(c) " + large + ": requests/s (" + PARALLEL_CONNECTIONS + " connections) ≥ 7× iptables'",
            ratio(Setup.HEXGATE_LARGE, Setup.IPTABLES, Metric.PARALLEL_REQUESTS), 7));
        t.add(new Target("(c) " + large + ": throughput ≥ 30× iptables'",
            ratio(Setup.HEXGATE_LARGE, Setup.IPTABLES, Metric.THROUGHPUT), 30));
      }
      if (values.containsKey(Setup.HEXGATE_LARGE) && values.containsKey(Setup.NFTABLES)) {
        t.add(new Target("(c) " + large + ": requests/s (" + PARALLEL_CONNECTIONS + " connections) no worse than the nftables set's",
            ratio(Setup.HEXGATE_LARGE, Setup.NFTABLES, Metric.PARALLEL_REQUESTS), 1));
        t.add(new Target("(c) " + large + ": throughput no worse than the nftables set's",
            ratio(Setup.HEXGATE_LARGE, Setup.NFTABLES, Metric.THROUGHPUT), 1));
      }
      return t;
    }

    public String label(Setup s) {
      return String.format(Locale.ROOT, s.label, s == Setup.HEXGATE_SMALL ? config.smallRules() : config.largeRules());
    }
  }

  private final Config config;
  private final Consumer<String> progress;
  private ClusterNetwork net;
  private NodeNetwork node;
  private PodNetwork client;
  private PodNetwork server;
  private NetNsThread inClient;
  private NetNsThread inNode;
  private BpfObject emptyObject;
  private BpfProgram emptyProgram;
  private BpfDatapath hexgate;
  private int hexgateRules;
  private long hexgateRevision;
  private boolean filtersOn = true;
  private final List<AutoCloseable> servers = new ArrayList<>();
  /** Hexgate's tc handle: every setup's program sits where Hexgate's do. */
  private static final int HANDLE = 0x4847;

  public NetworkBenchmark(Config config, Consumer<String> progress) {
    this.config = config;
    this.progress = progress;
  }

  /** Why the benchmark cannot run here with {@code config}, or null. */
  public static String unavailable(Config config) {
    var ns = NetNs.unavailable();
    if (ns.isPresent()) {
      return ns.get();
    }
    var bpf = io.hexgate.datapath.bpf.Native.unavailableReason();
    if (bpf.isPresent()) {
      return bpf.get();
    }
    List<String> tools = new ArrayList<>(List.of("iperf3", "iptables-restore", "nft"));
    if (!config.segmentationOffload()) {
      tools.add("ethtool");
    }
    for (String tool : tools) {
      if (Commands.run(Duration.ofSeconds(5), List.of("sh", "-c", "command -v " + tool)).exitCode() != 0) {
        return tool + " is not installed" + (tool.equals("ethtool")
            ? " (it turns segmentation offload off; or run with --segmentation-offload)" : "");
      }
    }
    return null;
  }

  public Result run() throws Exception {
    Map<Setup, Map<Metric, double[]>> values = new EnumMap<>(Setup.class);
    for (Setup s : config.setups()) {
      Map<Metric, double[]> m = new EnumMap<>(Metric.class);
      for (Metric metric : Metric.values()) {
        m.put(metric, new double[config.rounds()]);
      }
      values.put(s, m);
    }
    try {
      build();
      progress.accept("warming up (unmeasured)");
      requestResponse(config.perPoint().toNanos());
      connections(config.perPoint().toNanos());
      for (int round = 0; round < config.rounds(); round++) {
        for (Metric metric : Metric.values()) {
          List<Setup> order = new ArrayList<>(config.setups());
          java.util.Collections.rotate(order, round); // no setup always runs first or last
          StringBuilder line = new StringBuilder("round " + (round + 1) + "/" + config.rounds() + ", " + metric.label + ":");
          for (Setup s : order) {
            AutoCloseable undo = switchTo(s);
            try {
              double v = measure(metric);
              values.get(s).get(metric)[round] = v;
              line.append(String.format(Locale.ROOT, " %s %,.2f", s, v));
            } finally {
              undo.close();
            }
          }
          progress.accept(line.toString());
        }
      }
    } finally {
      tearDown();
    }
    return new Result(config, values);
  }

  // ------------------------------------------------------------------------------------------ topology

  private void build() throws Exception {
    net = ClusterNetwork.create(config.prefix());
    node = net.addNode("n1", 1);
    client = node.addPod("bench", "client");
    server = node.addPod("bench", "server");
    // many short connections: reuse TIME_WAIT ports, use the whole port range
    NetNs.sysctl(client.netns(), "net.ipv4.tcp_tw_reuse", "1");
    NetNs.sysctl(client.netns(), "net.ipv4.ip_local_port_range", "1024 65000");
    if (!config.segmentationOffload()) {
      // ethtool: limiting gso_max_segs instead leaves TCP far slower than offloads off (0.3 vs 3 Gbit/s here)
      for (PodNetwork p : List.of(client, server)) {
        NetNs.exec(p.netns(), Duration.ofSeconds(10), "ethtool", "-K", "eth0", "tso", "off", "gso", "off", "gro", "off")
            .orThrow();
      }
    }
    inClient = client.enter();
    try (NetNsThread inServer = server.enter()) {
      ServerSocket rr = inServer.call(() -> new ServerSocket(RR_PORT, 128, InetAddress.getByName(server.ip())));
      ServerSocket crr = inServer.call(() -> new ServerSocket(CRR_PORT, 1024, InetAddress.getByName(server.ip())));
      servers.add(rr);
      servers.add(crr);
      daemon("rr-server", () -> serveRequestResponse(rr));
      daemon("crr-server", () -> serveOneShot(crr));
    }
    Process iperf = NetNs.start(server.netns(), "iperf3", "-s", "-p", String.valueOf(IPERF_PORT), "-B", server.ip());
    servers.add(iperf::destroy);
    inNode = node.enter();
    emptyObject = BpfObject.openPackaged().load();
    emptyProgram = emptyObject.program("empty");
    hexgate = BpfDatapath.open(
        new BpfDatapath.Options(node.netns(), node.pinDir(), node.netns(), List.of(node.uplink()), Duration.ofMinutes(10)),
        null, null);
    applyHexgate(config.smallRules());
    filters(null);
    Thread.sleep(300);
  }

  private void tearDown() {
    for (AutoCloseable c : servers) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort: the namespaces go next
      }
    }
    if (inClient != null) {
      inClient.close();
    }
    if (hexgate != null) {
      try {
        hexgate.uninstall();
      } catch (Exception ignored) {
        // the namespaces and pins go next
      }
    }
    if (emptyObject != null) {
      emptyObject.close();
    }
    if (inNode != null) {
      inNode.close();
    }
    if (net != null) {
      net.close();
    }
  }

  private static void daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private static void serveRequestResponse(ServerSocket s) {
    while (!s.isClosed()) {
      try {
        Socket c = s.accept();
        daemon("rr-conn", () -> {
          try (c) {
            c.setTcpNoDelay(true);
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
              out.write(b);
            }
          } catch (IOException ignored) {
            // the client went away
          }
        });
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void serveOneShot(ServerSocket s) {
    while (!s.isClosed()) {
      try (Socket c = s.accept()) {
        c.setTcpNoDelay(true);
        int b = c.getInputStream().read();
        if (b >= 0) {
          c.getOutputStream().write(b);
        }
      } catch (IOException e) {
        if (s.isClosed()) {
          return;
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------ setups

  /**
   * Puts setup {@code s} in place and returns how to take away what only it needs. Between setups the
   * pods' filters are switched by replacing one tc filter: Hexgate's stays loaded with its maps written.
   */
  private AutoCloseable switchTo(Setup s) throws Exception {
    switch (s) {
      case NONE -> filters(null);
      case EMPTY -> filters(emptyProgram);
      case HEXGATE_SMALL, HEXGATE_LARGE -> {
        int rules = s == Setup.HEXGATE_SMALL ? config.smallRules() : config.largeRules();
        if (hexgateRules != rules) {
          applyHexgate(rules);
        }
        filtersOn = true;
        Map<EndpointKey, String> errors = hexgate.reattach();
        if (!errors.isEmpty()) {
          throw new IllegalStateException("Hexgate could not attach to the benchmark's pods: " + errors);
        }
      }
      case IPTABLES -> {
        filters(null);
        return installIptables(config.largeRules());
      }
      case NFTABLES -> {
        filters(null);
        return installNftables(config.largeRules());
      }
      default -> throw new IllegalArgumentException(s.toString());
    }
    return () -> {};
  }

  /**
   * {@code program} on both hooks of both pods' host sides, where Hexgate's go; null: no filter. The clsact
   * qdiscs are there from Hexgate's first attach.
   */
  private void filters(BpfProgram program) throws Exception {
    if (program == null && !filtersOn) {
      return; // detaching nothing would only make the kernel complain in libbpf's log
    }
    filtersOn = program != null;
    inNode.call(() -> {
      for (PodNetwork p : List.of(client, server)) {
        int ifindex = NetNs.ifIndex(p.hostSide());
        for (Tc.Hook hook : Tc.Hook.values()) {
          if (program == null) {
            Tc.detach(ifindex, hook, HANDLE, 1);
          } else {
            Tc.attach(ifindex, hook, program, HANDLE, 1, true);
          }
        }
      }
      return null;
    });
  }

  /** The (source address, port) pairs the server admits: the others first, the client's three last. */
  private List<String[]> rules(int n) {
    List<String[]> r = new ArrayList<>();
    for (int i = 0; i < n - 3; i++) {
      r.add(new String[] {other(i), String.valueOf(1024 + i % 50_000)});
    }
    for (int port : List.of(IPERF_PORT, RR_PORT, CRR_PORT)) {
      r.add(new String[] {client.ip(), String.valueOf(port)});
    }
    return r;
  }

  private static String other(int i) {
    return "10.200." + (i / 250) + "." + (i % 250 + 1);
  }

  private void applyHexgate(int n) throws Exception {
    PolicyRef ref = PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("bench").setName("server").build();
    RuleMap.Builder ingress = RuleMap.newBuilder().setEnforcing(true);
    StateUpdate.Builder u = StateUpdate.newBuilder().setEpoch("bench").setRevision(++hexgateRevision).setSnapshot(true);
    int i = 0;
    for (String[] rule : rules(n)) {
      boolean isClient = rule[0].equals(client.ip());
      long identity = isClient ? CLIENT_ID : OTHERS_ID + i++;
      int port = Integer.parseInt(rule[1]);
      ingress.addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(identity).setProtocol(Protocol.PROTOCOL_TCP)
          .setPortFrom(port).setPortTo(port).setAction(Action.ACTION_ALLOW).addDerivedFrom(ref));
      if (!isClient) {
        u.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(rule[0] + "/32").setIdentity(identity));
      }
    }
    RuleMap open = RuleMap.newBuilder().addEntries(RuleMapEntry.newBuilder().setPortTo(65535)).build();
    u.addUpsertEndpoints(endpoint(client, CLIENT_ID, open, open));
    u.addUpsertEndpoints(endpoint(server, SERVER_ID, ingress.build(), open));
    u.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(client.ip() + "/32").setIdentity(CLIENT_ID));
    u.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(server.ip() + "/32").setIdentity(SERVER_ID));
    StateUpdate update = u.build();
    Map<EndpointKey, String> errors = hexgate.apply(update, AgentState.EMPTY.apply(update));
    if (!errors.isEmpty()) {
      throw new IllegalStateException("Hexgate could not enforce the benchmark's endpoints: " + errors);
    }
    hexgateRules = n;
  }

  private static EndpointState endpoint(PodNetwork p, long identity, RuleMap ingress, RuleMap egress) {
    return EndpointState.newBuilder()
        .setKey(EndpointKey.newBuilder().setNamespace(p.namespace()).setName(p.name()))
        .setIp(p.ip())
        .setIdentity(Identity.newBuilder().setId(identity))
        .setIngress(ingress)
        .setEgress(egress)
        .build();
  }

  private AutoCloseable installIptables(int n) throws Exception {
    StringBuilder b = new StringBuilder("*filter\n:HG-BENCH - [0:0]\n");
    b.append("-A FORWARD -d ").append(server.ip()).append("/32 -j HG-BENCH\n");
    for (String[] r : rules(n)) {
      b.append("-A HG-BENCH -s ").append(r[0]).append("/32 -p tcp -m tcp --dport ").append(r[1]).append(" -j ACCEPT\n");
    }
    b.append("-A HG-BENCH -j DROP\nCOMMIT\n");
    restore(node.netns(), b.toString(), "iptables-restore", "--noflush");
    return () -> {
      for (String[] c : List.of(new String[] {"-F", "FORWARD"}, new String[] {"-F", "HG-BENCH"}, new String[] {"-X", "HG-BENCH"})) {
        NetNs.exec(node.netns(), Duration.ofSeconds(30), "iptables", c[0], c[1]).orThrow();
      }
    };
  }

  private AutoCloseable installNftables(int n) throws Exception {
    StringBuilder b = new StringBuilder("table ip hgbench {\n  set allowed {\n    type ipv4_addr . inet_service\n");
    b.append("    elements = { ");
    List<String[]> rules = rules(n);
    for (int i = 0; i < rules.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(rules.get(i)[0]).append(" . ").append(rules.get(i)[1]);
    }
    b.append(" }\n  }\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n");
    b.append("    ip daddr ").append(server.ip()).append(" ip saddr . tcp dport @allowed accept\n");
    b.append("    ip daddr ").append(server.ip()).append(" drop\n  }\n}\n");
    restore(node.netns(), b.toString(), "nft", "-f");
    return () -> Commands.run(Duration.ofSeconds(30), List.of("ip", "netns", "exec", node.netns(), "nft", "delete", "table", "ip",
        "hgbench")).orThrow();
  }

  /** Feeds {@code text} to a tool through a file, inside the namespace. */
  private static void restore(String netns, String text, String... tool) throws IOException {
    Path f = Files.createTempFile("hexgate-bench-", ".rules");
    try {
      Files.writeString(f, text, StandardCharsets.UTF_8);
      List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns));
      cmd.addAll(List.of(tool));
      cmd.add(f.toString());
      Commands.run(Duration.ofSeconds(120), cmd).orThrow();
    } finally {
      Files.deleteIfExists(f);
    }
  }

  // ------------------------------------------------------------------------------------------ traffic

  private double measure(Metric m) throws Exception {
    long nanos = config.perPoint().toNanos();
    return switch (m) {
      case REQUESTS -> requestResponse(nanos);
      case PARALLEL_REQUESTS -> parallelRequestResponse(nanos);
      case CONNECTIONS -> connections(nanos);
      case THROUGHPUT -> iperf(config.perPoint());
    };
  }

  /** 1-byte ping-pong on one connection; the first 10% of the time warms up. */
  private double requestResponse(long nanos) throws Exception {
    try (Socket s = inClient.call(() -> {
      Socket c = new Socket();
      c.setTcpNoDelay(true);
      c.connect(new InetSocketAddress(server.ip(), RR_PORT), 2000);
      c.setSoTimeout(2000);
      return c;
    })) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      long warm = System.nanoTime() + nanos / 10;
      while (System.nanoTime() < warm) {
        out.write(1);
        in.read();
      }
      long start = System.nanoTime();
      long end = start + nanos;
      long n = 0;
      while (System.nanoTime() < end) {
        out.write(1);
        if (in.read() < 0) {
          throw new IOException("the request/response server closed the connection");
        }
        n++;
      }
      return n * 1e9 / (System.nanoTime() - start);
    }
  }

  /** 1-byte ping-pong on {@link #PARALLEL_CONNECTIONS} connections at once, each on its own thread. */
  private double parallelRequestResponse(long nanos) throws Exception {
    List<Socket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < PARALLEL_CONNECTIONS; i++) {
        sockets.add(inClient.call(() -> {
          Socket c = new Socket();
          c.setTcpNoDelay(true);
          c.connect(new InetSocketAddress(server.ip(), RR_PORT), 2000);
          c.setSoTimeout(2000);
          return c;
        }));
      }
      long start = System.nanoTime() + nanos / 10; // the first tenth warms up, uncounted
      long end = start + nanos;
      LongAdder done = new LongAdder();
      List<CompletableFuture<Void>> workers = new ArrayList<>();
      for (Socket s : sockets) {
        workers.add(CompletableFuture.runAsync(() -> {
          try {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            long now;
            while ((now = System.nanoTime()) < end) {
              out.write(1);
              if (in.read() < 0) {
                throw new IOException("the request/response server closed the connection");
              }
              if (now >= start) {
                done.increment();
              }
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }, runnable -> daemon("rr-client", runnable)));
      }
      CompletableFuture.allOf(workers.toArray(new CompletableFuture[0])).get();
      return done.sum() * 1e9 / (System.nanoTime() - start);
    } finally {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  /** New connection per request: connect, 1-byte exchange, close. */
  private double connections(long nanos) throws Exception {
    return inClient.call(() -> {
      long start = System.nanoTime();
      long end = start + nanos;
      long n = 0;
      while (System.nanoTime() < end) {
        try (Socket c = new Socket()) {
          c.setTcpNoDelay(true);
          c.connect(new InetSocketAddress(server.ip(), CRR_PORT), 2000);
          c.setSoTimeout(2000);
          c.getOutputStream().write(1);
          if (c.getInputStream().read() < 0) {
            throw new IOException("the connection server closed without answering");
          }
        }
        n++;
      }
      return n * 1e9 / (System.nanoTime() - start);
    });
  }

  private static final Pattern RECEIVED =
      Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)", Pattern.DOTALL);

  private double iperf(Duration d) {
    long secs = Math.max(1, Math.round(d.toMillis() / 1000.0));
    Commands.Result r =
        NetNs.exec(client.netns(), Duration.ofSeconds(secs + 20), "iperf3", "-c", server.ip(), "-p", String.valueOf(IPERF_PORT),
            "-t", String.valueOf(secs), "-J").orThrow();
    Matcher m = RECEIVED.matcher(r.stdout());
    if (!m.find()) {
      throw new IllegalStateException("iperf3 printed no sum_received: " + r.stdout().substring(0, Math.min(400, r.stdout().length())));
    }
    return Double.parseDouble(m.group(1)) / 1e9;
  }
}
