package io.hexgate.bench.proxy;

import io.hexgate.bench.traffic.BenchEndpoints;
import io.hexgate.bench.traffic.BenchHost;
import io.hexgate.bench.traffic.NginxProcess;
import io.hexgate.bench.traffic.PairedRounds;
import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.enforce.BpfDatapath;
import io.hexgate.datapath.enforce.BpfDatapathOptions;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
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

/**
 * The L7 proxy's cost on the lab's path (client pod namespace → node namespace → server pod namespace, the
 * eBPF datapath loaded), side by side with three references in one run: the client talking to the server's
 * nginx directly, through nginx as a reverse proxy in the node's namespace, and through nginx relaying the
 * connection's bytes in the node's namespace without parsing HTTP. That relay is the ceiling: any HTTP proxy on
 * this path does the same socket reads and writes plus the parsing, so no proxy's requests/s can exceed the
 * relay's. Hexgate's proxy sees the requests because the server's ingress entry for the client on TCP
 * {@value #PROXIED_PORT} is a REDIRECT with the Star Wars rule (POST {@value #PATH}); the references pass an
 * L3/L4 allow.
 *
 * <p>All four setups are in place at once (different ports or addresses), so a round is one short wrk
 * run per setup, in an order shuffled each round; comparisons are medians over rounds of the ratio (rate)
 * or difference (latency) within a round, as in the network benchmark, since this machine's speed drifts.
 */
public final class ProxyBenchmark {
  /** The server's nginx port that the client reaches with an L3/L4 allow (and the node's nginx too). */
  public static final int DIRECT_PORT = 8080;
  /** The server's nginx port whose ingress entry for the client redirects to the proxy. */
  public static final int PROXIED_PORT = 80;
  /** Where the node's nginx listens, on the node's address. */
  public static final int NGINX_PROXY_PORT = 8081;
  /** Where the node's nginx relays TCP (its stream module), on the node's address. */
  public static final int RELAY_PORT = 8082;
  /** Debian's libnginx-mod-stream: nginx's TCP proxy is a dynamic module there. */
  static final Path STREAM_MODULE = Path.of("/usr/lib/nginx/modules/ngx_stream_module.so");
  public static final String PATH = "/v1/request-landing";
  static final String ANSWER = "Ship landed\n";
  private static final long CLIENT_ID = 6000;
  private static final long SERVER_ID = 6001;
  /** Cilium's reserved identity of the local node: the source of the node's nginx upstream connections. */
  private static final long HOST_ID = 1;
  private static final int THREADS = 2;
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
  private static final int WARM_UP_SECONDS = 4;

  /** The path the client's requests take. */
  public enum Setup {
    DIRECT("direct (L3/L4 allow)"),
    HEXGATE("Hexgate proxy (L7 rule)"),
    NGINX("nginx reverse proxy (L3/L4 allow)"),
    /** Bytes relayed without parsing HTTP: what no HTTP proxy on this path can beat, not a target. */
    RELAY("nginx L4 relay, no HTTP (ceiling)");

    final String label;

    Setup(String label) {
      this.label = label;
    }
  }

  /** What is measured; each latency in µs. */
  public enum Metric {
    RATE,
    P50,
    P99,
    P99_HALF_RATE,
    HALF_RATE_ACHIEVED,
    /** This JVM's collection time (ms) during the setup's runs of a round, all metrics: it hosts the proxy. */
    GC_MILLIS
  }

  /**
   * @param seconds of each wrk run (wrk's resolution: whole seconds)
   * @param connections wrk's connections at saturation (2 threads)
   * @param idleConnections the connections held open through the proxy for the heap reading; 0: no reading
   */
  public record Config(String prefix, int rounds, int seconds, int connections, int idleConnections) {
    public static final Config DEFAULT = new Config("hgbp-", 5, 1, 32, 10_000);

    public Config {
      if (rounds < 1 || seconds < 1 || connections < THREADS || idleConnections < 0 || idleConnections > 30_000) {
        throw new IllegalArgumentException("proxy benchmark: --rounds and --seconds must be >= 1, --connections >= "
            + THREADS + ", --idle-connections within 0..30000");
      }
    }
  }

  private final Config config;
  private final Consumer<String> progress;
  private ClusterNetwork net;
  private NodeNetwork node;
  private PodNetwork client;
  private PodNetwork server;
  private NetNsThread inClient;
  private BpfDatapath datapath;
  private Path scripts;
  private final List<AutoCloseable> servers = new ArrayList<>();

  public ProxyBenchmark(Config config, Consumer<String> progress) {
    this.config = config;
    this.progress = progress;
  }

  /** Why the benchmark cannot run here, or null. */
  public static String unavailable() {
    String why = BenchHost.unavailable(List.of("nginx", "wrk", "prlimit"),
        "Debian: apt-get install -y nginx libnginx-mod-stream wrk util-linux");
    if (why == null && !Files.exists(STREAM_MODULE)) {
      why = "nginx's stream module is not installed (no " + STREAM_MODULE + "; Debian: apt-get install -y "
          + "libnginx-mod-stream)";
    }
    return why;
  }

  public ProxyResult run() throws Exception {
    Map<Setup, Map<Metric, double[]>> values =
        PairedRounds.table(Setup.class, List.of(Setup.values()), Metric.class, List.of(Metric.values()), config.rounds());
    Map<Setup, String> missing = new EnumMap<>(Setup.class);
    try {
      build();
      String refusal = null;
      for (Setup s : Setup.values()) {
        String why = probe(s, PATH, "200");
        if (why != null) {
          if (s != Setup.HEXGATE) {
            throw new IllegalStateException(s.label + " does not answer: " + why);
          }
          missing.put(s, "no proxy answered: " + why + " (the datapath drops redirected connections when no proxy "
              + "listens: 178, or 180 where it has none)");
          progress.accept(s.label + ": " + missing.get(s));
        }
      }
      if (!missing.containsKey(Setup.HEXGATE)) {
        String why = probe(Setup.HEXGATE, "/v1/exhaust-port", "403");
        refusal = why == null ? "POST /v1/exhaust-port through the proxy: 403 (the L7 rule is enforced)"
            : "POST /v1/exhaust-port through the proxy was not refused with 403: " + why;
        progress.accept(refusal);
      }
      Path post = script("post", WrkScripts.POST);
      // the proxy runs in this JVM: until the JIT has compiled its paths, its rate climbs from round to round
      progress.accept("warming up every path at saturation (unmeasured, " + WARM_UP_SECONDS + " s each)");
      for (Setup s : Setup.values()) {
        if (!missing.containsKey(s)) {
          String failure = wrk(s, THREADS, config.connections(), false, post, WARM_UP_SECONDS).failure();
          if (failure != null) {
            missing.put(s, "warm-up: " + failure);
            progress.accept(s.label + " left out: " + missing.get(s));
          }
        }
      }
      phase("saturation", values, missing, (s, round) -> {
        WrkReport r = wrk(s, THREADS, config.connections(), false, post);
        values.get(s).get(Metric.RATE)[round] = r.requestsPerSecond();
        return r;
      });
      phase("unloaded", values, missing, (s, round) -> {
        WrkReport r = wrk(s, 1, 1, true, post);
        values.get(s).get(Metric.P50)[round] = r.micros(50);
        values.get(s).get(Metric.P99)[round] = r.micros(99);
        return r;
      });
      double halfRate = ProxyResult.median(values.get(Setup.DIRECT).get(Metric.RATE)) / 2;
      Map<Setup, Pacing> pacing = new EnumMap<>(Setup.class);
      for (Setup s : Setup.values()) {
        if (!missing.containsKey(s)) {
          // one unmeasured run per setup finds the delay that leaves room for its latency under this load
          Pacing p = Pacing.forRate(halfRate, THREADS, ProxyResult.median(values.get(s).get(Metric.P50)));
          WrkReport r = wrk(s, THREADS, p.connections(), true, script("paced", p.script()));
          pacing.put(s, p.adjusted(r.requestsPerSecond()));
          progress.accept(String.format(Locale.ROOT, "%s at about %,.0f requests/s: %d connections, %.2f ms mean delay "
              + "(calibration run: %,.0f/s)", s.label, halfRate, p.connections(), pacing.get(s).meanDelayMillis(),
              r.requestsPerSecond()));
        }
      }
      phase("half the direct maximum rate", values, missing, (s, round) -> {
        Pacing p = pacing.get(s);
        WrkReport r = wrk(s, THREADS, p.connections(), true, script("paced", p.script()));
        pacing.put(s, p.adjusted(r.requestsPerSecond()));
        values.get(s).get(Metric.P99_HALF_RATE)[round] = r.micros(99);
        values.get(s).get(Metric.HALF_RATE_ACHIEVED)[round] = r.requestsPerSecond();
        return r;
      });
      IdleConnections.Heap heap = heap(missing);
      return new ProxyResult(config, values, missing, halfRate, refusal, heap);
    } finally {
      tearDown();
    }
  }

  private interface Measurement {
    WrkReport measure(Setup s, int round) throws Exception;
  }

  /**
   * Rounds of one wrk run per setup still answering; a setup whose run fails (no answer, errors) is left
   * out of every later run, with the reason.
   */
  private void phase(String name, Map<Setup, Map<Metric, double[]>> values, Map<Setup, String> missing, Measurement m)
      throws Exception {
    for (int round = 0; round < config.rounds(); round++) {
      List<Setup> order = new ArrayList<>(List.of(Setup.values()));
      java.util.Collections.shuffle(order, new java.util.Random(round));
      StringBuilder line = new StringBuilder(name + ", round " + (round + 1) + "/" + config.rounds() + ":");
      for (Setup s : order) {
        if (missing.containsKey(s)) {
          continue;
        }
        long gcBefore = gcMillis();
        WrkReport r = m.measure(s, round);
        values.get(s).get(Metric.GC_MILLIS)[round] += gcMillis() - gcBefore;
        String failure = r.failure();
        if (failure != null) {
          if (s == Setup.DIRECT) {
            throw new IllegalStateException("the direct path failed under wrk: " + failure);
          }
          missing.put(s, name + ": " + failure);
          progress.accept(s.label + " left out: " + missing.get(s));
          continue;
        }
        line.append(String.format(Locale.ROOT, " %s %,.0f/s", s, r.requestsPerSecond()));
        if (!r.percentileMicros().isEmpty()) {
          line.append(String.format(Locale.ROOT, " p50 %.0f µs p99 %.0f µs", r.micros(50), r.micros(99)));
        }
      }
      progress.accept(line.toString());
    }
  }

  private static long gcMillis() {
    long ms = 0;
    for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      ms += Math.max(0, gc.getCollectionTime());
    }
    return ms;
  }

  private IdleConnections.Heap heap(Map<Setup, String> missing) throws Exception {
    if (config.idleConnections() == 0) {
      return null;
    }
    if (missing.containsKey(Setup.HEXGATE)) {
      return IdleConnections.Heap.notMeasured(config.idleConnections(),
          "not measured: " + missing.get(Setup.HEXGATE));
    }
    progress.accept(String.format(Locale.ROOT, "heap: opening %,d idle connections through the proxy",
        config.idleConnections()));
    IdleConnections.Heap h = IdleConnections.measure(inClient, target(Setup.HEXGATE), config.idleConnections(),
        request(PATH, true), ANSWER);
    progress.accept("heap: " + h.describe());
    return h;
  }

  // ------------------------------------------------------------------------------------------ traffic

  private InetSocketAddress target(Setup s) {
    return switch (s) {
      case DIRECT -> new InetSocketAddress(server.ip(), DIRECT_PORT);
      case HEXGATE -> new InetSocketAddress(server.ip(), PROXIED_PORT);
      case NGINX -> new InetSocketAddress(node.nodeIp(), NGINX_PROXY_PORT);
      case RELAY -> new InetSocketAddress(node.nodeIp(), RELAY_PORT);
    };
  }

  private static String request(String path, boolean keepAlive) {
    return "POST " + path + " HTTP/1.1\r\nHost: deathstar\r\nContent-Length: 0\r\n"
        + (keepAlive ? "" : "Connection: close\r\n") + "\r\n";
  }

  /**
   * One request from the client pod over {@code s}; null when the answer's status is {@code status}, else
   * why not. Bounded: a path that drops the connection times out in {@link #PROBE_TIMEOUT}.
   */
  private String probe(Setup s, String path, String status) throws Exception {
    InetSocketAddress to = target(s);
    return inClient.call(() -> {
      try (Socket c = new Socket()) {
        c.connect(to, (int) PROBE_TIMEOUT.toMillis());
        c.setSoTimeout((int) PROBE_TIMEOUT.toMillis());
        c.getOutputStream().write(request(path, false).getBytes(StandardCharsets.US_ASCII));
        String answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        return answer.startsWith("HTTP/1.1 " + status) ? null
            : "answered " + (answer.isEmpty() ? "nothing" : answer.lines().findFirst().orElse(""));
      } catch (SocketTimeoutException e) {
        return "no answer from " + to + " within " + PROBE_TIMEOUT.toSeconds() + " s";
      } catch (IOException e) {
        return to + ": " + e.getMessage();
      }
    });
  }

  /** One wrk run in the client pod against {@code s}, bounded by its duration plus a margin. */
  private WrkReport wrk(Setup s, int threads, int connections, boolean latency, Path script) {
    return wrk(s, threads, connections, latency, script, config.seconds());
  }

  private WrkReport wrk(Setup s, int threads, int connections, boolean latency, Path script, int seconds) {
    InetSocketAddress to = target(s);
    List<String> cmd = new ArrayList<>(List.of("wrk", "-t", String.valueOf(threads), "-c", String.valueOf(connections),
        "-d", seconds + "s", "--timeout", "1s", "-s", script.toString()));
    if (latency) {
      cmd.add("--latency");
    }
    cmd.add("http://" + to.getHostString() + ":" + to.getPort() + PATH);
    Commands.Result r = NetNs.exec(client.netns(), Duration.ofSeconds(seconds + 15L), cmd.toArray(new String[0]));
    if (!r.ok()) {
      throw new IllegalStateException("wrk against " + s.label + " failed (exit " + r.exitCode() + "): "
          + r.stderr().strip() + r.stdout().strip());
    }
    return WrkReport.parse(r.stdout());
  }

  private Path script(String name, String text) throws IOException {
    Path f = scripts.resolve(name + ".lua");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    return f;
  }

  // ------------------------------------------------------------------------------------------ topology

  private void build() throws Exception {
    scripts = Files.createTempDirectory("hexgate-bench-proxy-");
    net = ClusterNetwork.create(config.prefix());
    node = net.addNode("n1", 1);
    client = node.addPod("bench", "client");
    server = node.addPod("bench", "server");
    NetNs.sysctl(client.netns(), "net.ipv4.tcp_tw_reuse", "1");
    NetNs.sysctl(client.netns(), "net.ipv4.ip_local_port_range", "1024 65000");
    inClient = client.enter();
    int idle = Math.max(1024, config.idleConnections() + 1024);
    // the backend: nginx in the server pod, a fixed answer on both ports (one allowed, one redirected)
    servers.add(NginxProcess.start(server.netns(), String.join("\n",
        "worker_processes auto;",
        "worker_rlimit_nofile " + 2 * idle + ";",
        "events { worker_connections " + idle + "; }",
        "http {",
        "  access_log off;",
        "  keepalive_requests 100000000;",
        "  keepalive_timeout 300s;",
        "  server {",
        "    listen " + server.ip() + ":" + DIRECT_PORT + ";",
        "    listen " + server.ip() + ":" + PROXIED_PORT + ";",
        "    location = " + PATH + " { return 200 \"" + ANSWER.replace("\n", "\\n") + "\"; }",
        "    location / { return 404; }",
        "  }",
        "}", ""), () -> ready(Setup.DIRECT)));
    // the reference proxy: nginx in the node's namespace, upstream connections kept alive
    servers.add(NginxProcess.start(node.netns(), String.join("\n",
        "worker_processes auto;",
        "events { worker_connections 4096; }",
        "http {",
        "  access_log off;",
        "  keepalive_requests 100000000;",
        "  upstream backend {",
        "    server " + server.ip() + ":" + DIRECT_PORT + ";",
        "    keepalive 256;",
        "    keepalive_requests 100000000;",
        "  }",
        "  server {",
        "    listen " + node.nodeIp() + ":" + NGINX_PROXY_PORT + ";",
        "    location / {",
        "      proxy_pass http://backend;",
        "      proxy_http_version 1.1;",
        "      proxy_set_header Connection \"\";",
        "      proxy_bind " + node.nodeIp() + ";",
        "    }",
        "  }",
        "}", ""), () -> ready(Setup.NGINX)));
    // the ceiling: one upstream connection per client connection, bytes copied both ways, from the node's
    // address like the reverse proxy's, so the server's ingress sees the node's identity
    servers.add(NginxProcess.start(node.netns(), String.join("\n",
        "load_module " + STREAM_MODULE + ";",
        "worker_processes auto;",
        "events { worker_connections 4096; }",
        "stream {",
        "  server {",
        "    listen " + node.nodeIp() + ":" + RELAY_PORT + ";",
        "    proxy_pass " + server.ip() + ":" + DIRECT_PORT + ";",
        "    proxy_bind " + node.nodeIp() + ";",
        "  }",
        "}", ""), () -> ready(Setup.RELAY)));
    datapath = BpfDatapath.open(
        new BpfDatapathOptions(node.netns(), node.pinDir(), node.netns(), List.of(node.uplink()), Duration.ofMinutes(10)),
        flow -> {}, null);
    applyPolicy();
    System.gc(); // what loading left for the collector is not the measurement's to pay
  }

  private Object ready(Setup s) throws Exception {
    String why = probe(s, PATH, "200");
    if (why != null) {
      throw new IOException(why);
    }
    return null;
  }

  /**
   * The server admits the client on {@value #DIRECT_PORT} (L3/L4) and on {@value #PROXIED_PORT} only through
   * the proxy, with the Star Wars rule; the node (its nginx proxy and relay) on {@value #DIRECT_PORT}.
   */
  private void applyPolicy() throws Exception {
    PolicyRef ref = PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("bench").setName("rule1").build();
    RuleMap ingress = RuleMap.newBuilder().setEnforcing(true)
        .addEntries(allow(CLIENT_ID, DIRECT_PORT, ref))
        .addEntries(allow(HOST_ID, DIRECT_PORT, ref))
        .addEntries(RuleMapEntry.newBuilder().setRemoteIdentity(CLIENT_ID).setProtocol(Protocol.PROTOCOL_TCP)
            .setPortFrom(PROXIED_PORT).setPortTo(PROXIED_PORT).setAction(Action.ACTION_REDIRECT)
            .addHttp(HttpMatch.newBuilder().setMethod("POST").setPath(PATH)).addDerivedFrom(ref))
        .build();
    BenchEndpoints.apply(datapath, StateUpdate.newBuilder().setEpoch("bench").setRevision(1).setSnapshot(true)
        .setComplete(true)
        .addUpsertEndpoints(BenchEndpoints.endpoint(client, CLIENT_ID, BenchEndpoints.OPEN, BenchEndpoints.OPEN))
        .addUpsertEndpoints(BenchEndpoints.endpoint(server, SERVER_ID, ingress, BenchEndpoints.OPEN))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(client.ip() + "/32").setIdentity(CLIENT_ID))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(server.ip() + "/32").setIdentity(SERVER_ID))
        .addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix(node.nodeIp() + "/32").setIdentity(HOST_ID))
        .build());
  }

  private static RuleMapEntry allow(long identity, int port, PolicyRef ref) {
    return RuleMapEntry.newBuilder().setRemoteIdentity(identity).setProtocol(Protocol.PROTOCOL_TCP).setPortFrom(port)
        .setPortTo(port).setAction(Action.ACTION_ALLOW).addDerivedFrom(ref).build();
  }

  private void tearDown() {
    List<AutoCloseable> parts = new ArrayList<>(servers);
    parts.addAll(java.util.Arrays.asList(inClient, datapath == null ? null : datapath::uninstall, net,
        BenchHost.deletion(scripts)));
    BenchHost.closeAll(parts);
  }
}
