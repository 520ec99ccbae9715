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
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Benchmarks (b) and (c) of issue 5: traffic between two pod namespaces of one node namespace, with
 * Hexgate enforcing N rules, an empty tc program at the same hooks, no program, the same rules as linear
 * iptables rules, and as one nftables set. Per setup: TCP request/response rate on one connection (1-byte
 * ping-pong), connection rate (connect, 1-byte exchange, close), and iperf3 throughput. Setups alternate
 * within each round, so noise hits them alike; the report gives the median of the rounds.
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
        new Config("hgbn-", Duration.ofSeconds(3), 3, 1_000, 10_000, List.of(Setup.values()), false);

    public Config {
      if (perPoint.toMillis() < 500 || rounds < 1 || smallRules < 4 || largeRules < 4 || largeRules > 60_000) {
        throw new IllegalArgumentException(
            "network benchmark: --seconds must be >= 0.5, --rounds >= 1, rule counts within 4..60000");
      }
      setups = List.copyOf(setups);
    }
  }

  /** One measurement: requests/s on one connection, new connections/s, iperf3 Gbit/s. */
  public record Point(double requestsPerSecond, double connectionsPerSecond, double gbitsPerSecond) {}

  public record Result(Config config, Map<Setup, List<Point>> rounds) {
    public Point median(Setup s) {
      List<Point> ps = rounds.get(s);
      return new Point(
          median(ps.stream().mapToDouble(Point::requestsPerSecond).toArray()),
          median(ps.stream().mapToDouble(Point::connectionsPerSecond).toArray()),
          median(ps.stream().mapToDouble(Point::gbitsPerSecond).toArray()));
    }

    private static double median(double[] v) {
      double[] s = v.clone();
      java.util.Arrays.sort(s);
      return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /**
     * The report in Markdown: medians per setup, ratios to the empty program and to iptables, and the
     * issue's targets with whether this run met them.
     */
    public String markdown() {
      StringBuilder b = new StringBuilder();
      b.append(String.format(Locale.ROOT, "%d rounds of %.1f s per point, segmentation offload %s; medians.%n%n",
          config.rounds(), config.perPoint().toMillis() / 1000.0,
          config.segmentationOffload() ? "on (64 KB packets)" : "off (one MSS per packet)"));
      b.append("| setup | requests/s (one connection) | connections/s | iperf3 Gbit/s | requests vs empty | throughput vs empty |\n");
      b.append("|---|---:|---:|---:|---:|---:|\n");
      Point empty = rounds.containsKey(Setup.EMPTY) ? median(Setup.EMPTY) : null;
      for (Setup s : Setup.values()) {
        if (!rounds.containsKey(s)) {
          continue;
        }
        Point p = median(s);
        b.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f | %.2f | %s | %s |%n", label(s), p.requestsPerSecond(),
            p.connectionsPerSecond(), p.gbitsPerSecond(),
            empty == null ? "-" : String.format(Locale.ROOT, "%.3f×", p.requestsPerSecond() / empty.requestsPerSecond()),
            empty == null ? "-" : String.format(Locale.ROOT, "%.3f×", p.gbitsPerSecond() / empty.gbitsPerSecond())));
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
      if (rounds.containsKey(Setup.HEXGATE_SMALL) && rounds.containsKey(Setup.EMPTY)) {
        Point h = median(Setup.HEXGATE_SMALL);
        Point e = median(Setup.EMPTY);
        t.add(new Target("(b) " + label(Setup.HEXGATE_SMALL) + " requests/s ≥ 0.97× the empty program's",
            h.requestsPerSecond() / e.requestsPerSecond(), 0.97));
        t.add(new Target("(b) " + label(Setup.HEXGATE_SMALL) + " throughput ≥ 0.95× the empty program's",
            h.gbitsPerSecond() / e.gbitsPerSecond(), 0.95));
      }
      if (rounds.containsKey(Setup.HEXGATE_LARGE) && rounds.containsKey(Setup.IPTABLES)) {
        Point h = median(Setup.HEXGATE_LARGE);
        Point i = median(Setup.IPTABLES);
        t.add(new Target("(c) " + label(Setup.HEXGATE_LARGE) + " requests/s ≥ 7× iptables'",
            h.requestsPerSecond() / i.requestsPerSecond(), 7));
        t.add(new Target("(c) " + label(Setup.HEXGATE_LARGE) + " throughput ≥ 30× iptables'",
            h.gbitsPerSecond() / i.gbitsPerSecond(), 30));
      }
      if (rounds.containsKey(Setup.HEXGATE_LARGE) && rounds.containsKey(Setup.NFTABLES)) {
        Point h = median(Setup.HEXGATE_LARGE);
        Point n = median(Setup.NFTABLES);
        t.add(new Target("(c) " + label(Setup.HEXGATE_LARGE) + " requests/s no worse than the nftables set's",
            h.requestsPerSecond() / n.requestsPerSecond(), 1));
        t.add(new Target("(c) " + label(Setup.HEXGATE_LARGE) + " throughput no worse than the nftables set's",
            h.gbitsPerSecond() / n.gbitsPerSecond(), 1));
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
  private final List<AutoCloseable> servers = new ArrayList<>();

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
    Map<Setup, List<Point>> results = new EnumMap<>(Setup.class);
    try {
      build();
      progress.accept("warming up (unmeasured)");
      requestResponse(config.perPoint().toNanos() / 2);
      connections(config.perPoint().toNanos() / 2);
      for (int round = 0; round < config.rounds(); round++) {
        List<Setup> order = new ArrayList<>(config.setups());
        java.util.Collections.rotate(order, round); // no setup always runs first or last
        for (Setup s : order) {
          progress.accept("round " + (round + 1) + "/" + config.rounds() + ": " + s);
          AutoCloseable installed = install(s);
          try {
            Point p = measure();
            progress.accept(String.format(Locale.ROOT, "  %,.0f req/s, %,.0f conn/s, %.2f Gbit/s",
                p.requestsPerSecond(), p.connectionsPerSecond(), p.gbitsPerSecond()));
            results.computeIfAbsent(s, k -> new ArrayList<>()).add(p);
          } finally {
            installed.close();
          }
        }
      }
    } finally {
      tearDown();
    }
    return new Result(config, results);
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

  private AutoCloseable install(Setup s) throws Exception {
    return switch (s) {
      case NONE -> () -> {};
      case EMPTY -> installEmpty();
      case HEXGATE_SMALL -> installHexgate(config.smallRules());
      case HEXGATE_LARGE -> installHexgate(config.largeRules());
      case IPTABLES -> installIptables(config.largeRules());
      case NFTABLES -> installNftables(config.largeRules());
    };
  }

  /** The empty program where Hexgate's programs go: both hooks of both pods' host sides. */
  private AutoCloseable installEmpty() throws Exception {
    BpfObject obj = BpfObject.openPackaged().load();
    BpfProgram empty = obj.program("empty");
    try (NetNsThread t = node.enter()) {
      t.call(() -> {
        for (PodNetwork p : List.of(client, server)) {
          int ifindex = NetNs.ifIndex(p.hostSide());
          Tc.createClsact(ifindex);
          Tc.attach(ifindex, Tc.Hook.INGRESS, empty, 0x4847, 1, true);
          Tc.attach(ifindex, Tc.Hook.EGRESS, empty, 0x4847, 1, true);
        }
        return null;
      });
    }
    return () -> {
      try (NetNsThread t = node.enter()) {
        t.call(() -> {
          for (PodNetwork p : List.of(client, server)) {
            Tc.destroyClsact(NetNs.ifIndex(p.hostSide()));
          }
          return null;
        });
      }
      obj.close();
    };
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

  private AutoCloseable installHexgate(int n) throws Exception {
    BpfDatapath dp =
        BpfDatapath.open(
            new BpfDatapath.Options(node.netns(), node.pinDir(), node.netns(), List.of(node.uplink()), Duration.ofSeconds(5)),
            null,
            null);
    PolicyRef ref = PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("bench").setName("server").build();
    RuleMap.Builder ingress = RuleMap.newBuilder().setEnforcing(true);
    StateUpdate.Builder u = StateUpdate.newBuilder().setEpoch("bench").setRevision(1).setSnapshot(true);
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
    try {
      Map<EndpointKey, String> errors = dp.apply(update, AgentState.EMPTY.apply(update));
      if (!errors.isEmpty()) {
        throw new IllegalStateException("Hexgate could not enforce the benchmark's endpoints: " + errors);
      }
    } catch (Exception e) {
      dp.uninstall();
      throw e;
    }
    return dp::uninstall;
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

  private Point measure() throws Exception {
    long nanos = config.perPoint().toNanos();
    double rr = requestResponse(nanos);
    double crr = connections(nanos);
    double gbits = iperf(config.perPoint());
    return new Point(rr, crr, gbits);
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
