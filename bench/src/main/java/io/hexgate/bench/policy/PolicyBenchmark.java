package io.hexgate.bench.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.SecurityLabels;
import io.hexgate.operator.policy.DirectionPolicy;
import io.hexgate.operator.policy.Endpoint;
import io.hexgate.operator.policy.IdentityPolicy;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.EgressPeers;
import io.hexgate.operator.policy.api.EndpointSelector;
import io.hexgate.operator.policy.api.IngressPeers;
import io.hexgate.operator.policy.api.PortDenyRule;
import io.hexgate.operator.policy.api.PortProtocol;
import io.hexgate.operator.policy.api.PortRule;
import io.hexgate.operator.policy.api.Rule;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Measures the policy engine on a {@link SyntheticCluster}: the full computation (one {@link
 * PolicyEngine#batch} with every namespace, pod and policy, on a fresh engine), incremental changes (one
 * policy modified, one pod added with an existing or a new label set) and the retained heap of a built
 * engine. Single-threaded, as the engine is.
 */
public final class PolicyBenchmark {

  /** Sizes and repetitions. */
  public record Config(
      int pods, int labelSets, int policies, int namespaces, int warmup, int runs, int ops, int opWarmup, long seed) {
    public static final Config DEFAULT = new Config(10_000, 2_000, 1_000, 50, 5, 10, 1_000, 1_000, 42);

    public Config {
      if (runs < 1 || ops < 1 || warmup < 0 || opWarmup < 0) {
        throw new IllegalArgumentException("runs and ops must be >= 1, warmups >= 0");
      }
    }
  }

  /** Timings of one kind of incremental operation. */
  public record OpStats(
      String name,
      int count,
      double medianMs,
      double p99Ms,
      double maxMs,
      double cpuP99Ms,
      double regenerationsMean,
      long regenerationsMax,
      double inPlaceMean) {
    static OpStats of(String name, long[] nanos, long[] cpuNanos, long[] regens, long[] inPlace) {
      long[] t = nanos.clone();
      Arrays.sort(t);
      long[] c = cpuNanos.clone();
      Arrays.sort(c);
      long sum = 0;
      long max = 0;
      for (long r : regens) {
        sum += r;
        max = Math.max(max, r);
      }
      return new OpStats(
          name,
          t.length,
          ms(percentile(t, 50)),
          ms(percentile(t, 99)),
          t.length == 0 ? 0 : ms(t[t.length - 1]),
          ms(percentile(c, 99)),
          t.length == 0 ? 0 : (double) sum / t.length,
          max,
          t.length == 0 ? 0 : (double) Arrays.stream(inPlace).sum() / t.length);
    }
  }

  /** What the engine holds after a full build. */
  public record EngineStats(
      int identities, int podIdentities, int cidrIdentities, int identityPolicies, long policyEntries, int rules,
      long regenerations) {}

  /** The JVM and machine the numbers come from. */
  public record Environment(String jvm, String cpu, int cores, long maxHeapMb, String gc, String jit, String load) {}

  /** Everything the benchmark measured. */
  public record Result(
      Config config,
      Environment environment,
      Map<String, Integer> workload,
      Map<String, Integer> features,
      EngineStats engine,
      double coldMs,
      double[] warmMs,
      double warmMedianMs,
      double warmMinMs,
      double warmCpuMedianMs,
      double warmGcMedianMs,
      OpStats policyChange,
      List<OpStats> policyChangeByKind,
      OpStats podExistingLabels,
      OpStats podNewLabels,
      long opGcCount,
      long opGcMs,
      double heapMb,
      double workloadHeapMb) {

    public static final double TARGET_FULL_MS = 250;
    public static final double TARGET_P99_MS = 1;
    public static final double TARGET_HEAP_MB = 256;

    public boolean fullTargetMet() {
      return warmMedianMs <= TARGET_FULL_MS;
    }

    public boolean incrementalTargetMet() {
      return policyChange.p99Ms() <= TARGET_P99_MS
          && podExistingLabels.p99Ms() <= TARGET_P99_MS
          && podNewLabels.p99Ms() <= TARGET_P99_MS;
    }

    public boolean heapTargetMet() {
      return heapMb <= TARGET_HEAP_MB;
    }

    /** The human-readable report {@code hexgate bench policy} prints. */
    public String report() {
      StringBuilder b = new StringBuilder();
      Environment e = environment;
      b.append("Hexgate policy engine benchmark\n");
      b.append(String.format("JVM:  %s%n", e.jvm()));
      b.append(String.format("      %d cores, max heap %d MB, GC %s, JIT %s%n", e.cores(), e.maxHeapMb(), e.gc(), e.jit()));
      b.append(String.format("CPU:  %s%n", e.cpu()));
      b.append(String.format("Load: %s%n", e.load()));
      b.append('\n');
      b.append(String.format(
          "Workload (seed %d): %d namespaces, %d apps x %d versions, %d pods in %d label sets, %d policies (%d CNP, %d KNP, %d CCNP)%n",
          config.seed(), workload.get("namespaces"), workload.get("apps"), SyntheticCluster.VERSIONS_PER_APP,
          workload.get("pods"), workload.get("labelSets"), workload.get("policies"),
          features.getOrDefault("CNP", 0), features.getOrDefault("KNP", 0), features.getOrDefault("CCNP", 0)));
      features.forEach(
          (k, v) -> {
            if (!k.equals("CNP") && !k.equals("KNP") && !k.equals("CCNP")) {
              b.append(String.format("  %-55s %5d%n", k, v));
            }
          });
      b.append(String.format(
          "Built engine: %d rules, %d identities (%d of pods, %d CIDR, the rest reserved), %d identity policies, "
              + "%d policy-map entries, %d regenerations%n",
          engine.rules(), engine.identities(), engine.podIdentities(), engine.cidrIdentities(), engine.identityPolicies(),
          engine.policyEntries(), engine.regenerations()));
      b.append('\n');
      b.append("Full computation: one batch of every namespace, pod and policy into a fresh engine\n");
      b.append(String.format("  cold (first run in this JVM)  %9.1f ms%n", coldMs));
      b.append(String.format(
          "  warm, %2d runs after %d more   median %7.1f ms   min %7.1f ms   (runs: %s)%n",
          warmMs.length, config.warmup(), warmMedianMs, warmMinMs, joinMs(warmMs)));
      b.append(String.format(
          "  of which: thread CPU median %.1f ms, GC pauses median %.1f ms (the rest: waiting for a core)%n",
          warmCpuMedianMs, warmGcMedianMs));
      b.append('\n');
      b.append(String.format(
          "Incremental, on a built engine (%d timed operations each, after %d untimed); wall-clock times, and the%n"
              + "thread's CPU time, which leaves out waiting for a core and GC pauses%n",
          config.ops(), config.opWarmup()));
      b.append(String.format(
          "  %-46s %9s %9s %9s %9s   %s%n", "operation", "median", "p99", "max", "CPU p99",
          "per op: regenerations mean (max), in-place updates mean"));
      op(b, policyChange, "  ");
      for (OpStats s : policyChangeByKind) {
        op(b, s, "    ");
      }
      op(b, podExistingLabels, "  ");
      op(b, podNewLabels, "  ");
      b.append(String.format("  GC during the incremental operations (timed and untimed): %d pauses, %d ms in all%n", opGcCount, opGcMs));
      b.append('\n');
      b.append(String.format(
          "Retained heap of the built engine: %.1f MB (the workload's input objects, %.1f MB, are not counted)%n",
          heapMb, workloadHeapMb));
      b.append('\n');
      b.append("Targets\n");
      target(b, "full computation, warm median", "<= 250 ms", String.format("%.1f ms", warmMedianMs), fullTargetMet());
      target(b, "policy change p99", "<= 1 ms", String.format("%.3f ms", policyChange.p99Ms()), policyChange.p99Ms() <= TARGET_P99_MS);
      target(b, "pod added (existing label set) p99", "<= 1 ms", String.format("%.3f ms", podExistingLabels.p99Ms()),
          podExistingLabels.p99Ms() <= TARGET_P99_MS);
      target(b, "pod added (new label set) p99", "<= 1 ms", String.format("%.3f ms", podNewLabels.p99Ms()),
          podNewLabels.p99Ms() <= TARGET_P99_MS);
      target(b, "retained heap", "<= 256 MB", String.format("%.1f MB", heapMb), heapTargetMet());
      return b.toString();
    }

    private static void op(StringBuilder b, OpStats s, String indent) {
      b.append(String.format(Locale.ROOT, "%s%-" + (48 - indent.length()) + "s %6.3f ms %6.3f ms %6.3f ms %6.3f ms   %.1f (%d), %.1f%n",
          indent, s.name() + " [" + s.count() + "]", s.medianMs(), s.p99Ms(), s.maxMs(), s.cpuP99Ms(), s.regenerationsMean(),
          s.regenerationsMax(), s.inPlaceMean()));
    }

    private static void target(StringBuilder b, String what, String target, String actual, boolean met) {
      b.append(String.format("  %-38s %-10s %12s   %s%n", what, target, actual, met ? "met" : "MISSED"));
    }

    private static String joinMs(double[] v) {
      StringBuilder s = new StringBuilder();
      for (double d : v) {
        s.append(s.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", d));
      }
      return s.toString();
    }
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final Config config;
  private final Consumer<String> progress;

  public PolicyBenchmark(Config config, Consumer<String> progress) {
    this.config = config;
    this.progress = progress;
  }

  public PolicyBenchmark(Config config) {
    this(config, s -> {});
  }

  /** Builds an engine from the whole cluster in one batch, as an operator does at start. */
  public static PolicyEngine build(SyntheticCluster c) {
    PolicyEngine e = new PolicyEngine();
    e.batch(
        () -> {
          for (SyntheticCluster.Namespace n : c.namespaces()) {
            e.upsertNamespace(n.name(), n.labels());
          }
          for (Endpoint p : c.pods()) {
            e.upsertEndpoint(p);
          }
          for (SyntheticCluster.Policy p : c.policies()) {
            e.upsertPolicy(p.ref(), p.rules(), p.paths());
          }
        });
    return e;
  }

  public Result run() {
    String loadBefore = loadAverage();
    long before = usedHeapAfterGc();
    SyntheticCluster cluster =
        new SyntheticCluster(config.pods(), config.labelSets(), config.policies(), config.namespaces(), config.seed());
    double workloadMb = mb(usedHeapAfterGc() - before);

    // Full computation: the first run in this JVM is the cold one.
    progress.accept("full computation: cold run");
    long t0 = System.nanoTime();
    PolicyEngine engine = build(cluster);
    double coldMs = ms(System.nanoTime() - t0);
    EngineStats stats = stats(engine, cluster);
    engine = null;
    for (int i = 0; i < config.warmup(); i++) {
      progress.accept("full computation: warm-up run " + (i + 1) + "/" + config.warmup());
      build(cluster);
    }
    // Each measured run starts, as an operator's first build does, from a heap without the garbage of
    // earlier runs: collecting that is not part of the computation.
    double[] warm = new double[config.runs()];
    double[] cpu = new double[config.runs()];
    double[] gc = new double[config.runs()];
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    boolean cpuTime = threads.isCurrentThreadCpuTimeSupported();
    for (int i = 0; i < config.runs(); i++) {
      progress.accept("full computation: measured run " + (i + 1) + "/" + config.runs());
      usedHeapAfterGc();
      long c = cpuTime ? threads.getCurrentThreadCpuTime() : 0;
      long g = gcMillis();
      long s = System.nanoTime();
      build(cluster);
      warm[i] = ms(System.nanoTime() - s);
      gc[i] = gcMillis() - g;
      cpu[i] = cpuTime ? ms(threads.getCurrentThreadCpuTime() - c) : Double.NaN;
    }
    double[] sorted = warm.clone();
    Arrays.sort(sorted);
    double median = median(warm);

    // Retained heap: the engine alone, the workload being alive before and after.
    progress.accept("retained heap");
    long heapBefore = usedHeapAfterGc();
    engine = build(cluster);
    long heapAfter = usedHeapAfterGc();
    double heapMb = mb(heapAfter - heapBefore);

    // Incremental operations on that engine.
    long gcCount0 = gcCount();
    long gcMs0 = gcMillis();
    progress.accept("incremental: policy changes");
    Random rng = new Random(config.seed() + 1);
    List<OpStats> byKind = new ArrayList<>();
    OpStats policyChange = policyChanges(engine, cluster, rng, byKind);
    progress.accept("incremental: pods with an existing label set");
    OpStats existing = podAdds(engine, cluster, rng, false);
    progress.accept("incremental: pods with a new label set");
    OpStats fresh = podAdds(engine, cluster, rng, true);
    long opGcCount = gcCount() - gcCount0;
    long opGcMs = gcMillis() - gcMs0;

    Map<String, Integer> workload = new LinkedHashMap<>();
    workload.put("namespaces", cluster.namespaces().size());
    workload.put("apps", cluster.apps().size());
    workload.put("pods", cluster.pods().size());
    workload.put("labelSets", cluster.labelSetCount());
    workload.put("policies", cluster.policies().size());
    return new Result(
        config, environment(loadBefore, loadAverage()), workload, cluster.features(), stats, coldMs, warm, median, sorted[0], median(cpu), median(gc),
        policyChange, byKind,
        existing, fresh, opGcCount, opGcMs, heapMb, workloadMb);
  }

  // ------------------------------------------------------------------ incremental operations

  private OpStats policyChanges(PolicyEngine engine, SyntheticCluster cluster, Random rng, List<OpStats> byKind) {
    List<SyntheticCluster.Policy> policies = cluster.policies();
    if (policies.isEmpty()) {
      byKind.clear();
      return OpStats.of("policy change (port or peer)", new long[0], new long[0], new long[0], new long[0]);
    }
    List<List<Rule>> current = new ArrayList<>();
    for (SyntheticCluster.Policy p : policies) {
      current.add(p.rules());
    }
    int total = config.opWarmup() + config.ops();
    long[] nanos = new long[config.ops()];
    long[] cpu = new long[config.ops()];
    long[] regens = new long[config.ops()];
    long[] inPlace = new long[config.ops()];
    String[] kinds = new String[config.ops()];
    for (int i = 0; i < total; i++) {
      int idx = -1;
      List<Rule> next = null;
      for (int attempt = 0; attempt < 1000 && next == null; attempt++) {
        idx = rng.nextInt(policies.size());
        next = mutate(current.get(idx), policies.get(idx).ref(), cluster, rng, i % 2 == 0);
      }
      if (next == null) {
        throw new IllegalStateException("no policy of the workload can be modified");
      }
      current.set(idx, next);
      SyntheticCluster.Policy p = policies.get(idx);
      long r0 = engine.regenerations();
      long u0 = engine.partialUpdates();
      long c0 = THREADS.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      engine.upsertPolicy(p.ref(), next, p.paths());
      long t = System.nanoTime() - t0;
      long c = THREADS.getCurrentThreadCpuTime() - c0;
      int k = i - config.opWarmup();
      if (k >= 0) {
        nanos[k] = t;
        cpu[k] = c;
        regens[k] = engine.regenerations() - r0;
        inPlace[k] = engine.partialUpdates() - u0;
        kinds[k] = p.ref().kind();
      }
    }
    for (String kind : List.of(PolicyRef.CNP, PolicyRef.KNP, PolicyRef.CCNP)) {
      int n = 0;
      for (String k : kinds) {
        n += k.equals(kind) ? 1 : 0;
      }
      if (n == 0) {
        continue;
      }
      long[] kn = new long[n];
      long[] kc = new long[n];
      long[] kr = new long[n];
      long[] ku = new long[n];
      for (int i = 0, j = 0; i < kinds.length; i++) {
        if (kinds[i].equals(kind)) {
          kn[j] = nanos[i];
          kc[j] = cpu[i];
          kr[j] = regens[i];
          ku[j++] = inPlace[i];
        }
      }
      String label = kind.equals(PolicyRef.CNP) ? "CNP" : kind.equals(PolicyRef.KNP) ? "KNP" : "CCNP";
      byKind.add(OpStats.of(label, kn, kc, kr, ku));
    }
    return OpStats.of("policy change (port or peer)", nanos, cpu, regens, inPlace);
  }

  private OpStats podAdds(PolicyEngine engine, SyntheticCluster cluster, Random rng, boolean newLabels) {
    int total = config.opWarmup() + config.ops();
    long[] nanos = new long[config.ops()];
    long[] cpu = new long[config.ops()];
    long[] regens = new long[config.ops()];
    long[] inPlace = new long[config.ops()];
    int base = cluster.pods().size() + (newLabels ? total : 0);
    for (int i = 0; i < total; i++) {
      Endpoint pod;
      if (newLabels) {
        SyntheticCluster.App app = cluster.apps().get(rng.nextInt(cluster.apps().size()));
        pod = cluster.pod(app, cluster.podLabels(app, "canary-" + i), "new" + i, SyntheticCluster.podIp(base + i));
      } else {
        pod = cluster.pod(rng.nextInt(cluster.labelSetCount()), "add" + i, SyntheticCluster.podIp(base + i));
      }
      long r0 = engine.regenerations();
      long u0 = engine.partialUpdates();
      long c0 = THREADS.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      engine.upsertEndpoint(pod);
      long t = System.nanoTime() - t0;
      long c = THREADS.getCurrentThreadCpuTime() - c0;
      int k = i - config.opWarmup();
      if (k >= 0) {
        nanos[k] = t;
        cpu[k] = c;
        regens[k] = engine.regenerations() - r0;
        inPlace[k] = engine.partialUpdates() - u0;
      }
      // Untimed: back to the cluster as built, so every operation sees the same state.
      engine.deleteEndpoint(pod.key());
    }
    return OpStats.of(
        newLabels ? "pod added, new label set (new identity)" : "pod added, existing label set", nanos, cpu, regens, inPlace);
  }

  /**
   * A copy of {@code rules} with one change: a port toggled (e.g. 8080 to 8081) or one peer app
   * replaced by another app of the same namespace; null when the rules have no such element.
   */
  public static List<Rule> mutate(List<Rule> rules, PolicyRef ref, SyntheticCluster cluster, Random rng, boolean portFirst) {
    List<Rule> copy = new ArrayList<>();
    for (Rule r : rules) {
      copy.add(MAPPER.convertValue(r, Rule.class));
    }
    boolean done = portFirst ? changePort(copy) || changePeer(copy, ref, cluster, rng) : changePeer(copy, ref, cluster, rng) || changePort(copy);
    return done ? copy : null;
  }

  private static boolean changePort(List<Rule> rules) {
    for (Rule r : rules) {
      List<List<PortProtocol>> lists = new ArrayList<>();
      forEachPortRule(r.ingress, pr -> lists.add(pr.ports));
      forEachPortRule(r.egress, pr -> lists.add(pr.ports));
      if (r.ingressDeny != null) {
        r.ingressDeny.forEach(d -> forEachDeny(d.toPorts, lists));
      }
      if (r.egressDeny != null) {
        r.egressDeny.forEach(d -> forEachDeny(d.toPorts, lists));
      }
      for (List<PortProtocol> ports : lists) {
        if (ports == null) {
          continue;
        }
        for (PortProtocol pp : ports) {
          if (pp.port != null && pp.port.matches("[1-9][0-9]*")) {
            pp.port = String.valueOf(Integer.parseInt(pp.port) ^ 1);
            return true;
          }
        }
      }
    }
    return false;
  }

  private static void forEachDeny(List<PortDenyRule> toPorts, List<List<PortProtocol>> out) {
    if (toPorts != null) {
      toPorts.forEach(p -> out.add(p.ports));
    }
  }

  private static <T> void forEachPortRule(List<T> elements, Consumer<PortRule> c) {
    if (elements == null) {
      return;
    }
    for (T e : elements) {
      List<PortRule> toPorts =
          e instanceof io.hexgate.operator.policy.api.IngressRule in
              ? in.toPorts
              : ((io.hexgate.operator.policy.api.EgressRule) e).toPorts;
      if (toPorts != null) {
        toPorts.forEach(c);
      }
    }
  }

  private static boolean changePeer(List<Rule> rules, PolicyRef ref, SyntheticCluster cluster, Random rng) {
    for (Rule r : rules) {
      List<EndpointSelector> selectors = new ArrayList<>();
      peers(r.ingress, selectors);
      peers(r.ingressDeny, selectors);
      peers(r.egress, selectors);
      peers(r.egressDeny, selectors);
      for (EndpointSelector s : selectors) {
        if (s.matchLabels == null || !s.matchLabels.containsKey("app")) {
          continue;
        }
        String ns = s.matchLabels.getOrDefault("k8s:" + SecurityLabels.NAMESPACE, ref.namespace());
        List<SyntheticCluster.App> candidates = cluster.apps(ns);
        String now = s.matchLabels.get("app");
        List<SyntheticCluster.App> others = candidates.stream().filter(a -> !a.name().equals(now)).toList();
        if (others.isEmpty()) {
          continue;
        }
        s.matchLabels.put("app", others.get(rng.nextInt(others.size())).name());
        return true;
      }
    }
    return false;
  }

  private static void peers(List<?> elements, List<EndpointSelector> out) {
    if (elements == null) {
      return;
    }
    for (Object e : elements) {
      List<EndpointSelector> l = e instanceof IngressPeers ip ? ip.fromEndpoints : ((EgressPeers) e).toEndpoints;
      if (l != null) {
        out.addAll(l);
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private static EngineStats stats(PolicyEngine e, SyntheticCluster c) {
    int pods = 0;
    for (Identity i : e.identities()) {
      if (!e.endpointsWithIdentity(i.id()).isEmpty()) {
        pods++;
      }
    }
    long entries = 0;
    for (IdentityPolicy p : e.policies().values()) {
      DirectionPolicy in = p.ingress();
      DirectionPolicy out = p.egress();
      entries += in.entryCount() + out.entryCount();
    }
    int rules = 0;
    for (PolicyRef ref : e.policyRefs()) {
      rules += e.rules(ref).size();
    }
    return new EngineStats(
        e.identities().size(), pods, e.cidrIdentities().size(), e.policies().size(), entries, rules, e.regenerations());
  }

  /** The 1-minute load average, where the OS has one. */
  static String loadAverage() {
    double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return l < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", l);
  }

  static Environment environment(String loadBefore, String loadAfter) {
    Runtime rt = Runtime.getRuntime();
    String jvm =
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
            + " (" + System.getProperty("java.vendor") + ")";
    List<String> gcs = new ArrayList<>();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcs.add(gc.getName());
    }
    List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
    String jit =
        args.stream().anyMatch(a -> a.startsWith("-XX:TieredStopAtLevel="))
            ? "tiered, stopped at " + args.stream().filter(a -> a.startsWith("-XX:TieredStopAtLevel=")).reduce((a, b) -> b).get()
            : args.contains("-Xint") ? "off (-Xint)" : "C1+C2 (tiered)";
    String load = "1-minute load average " + loadBefore + " at the start, " + loadAfter + " at the end";
    return new Environment(
        jvm, cpuModel(), rt.availableProcessors(), rt.maxMemory() >> 20, String.join(" + ", gcs), jit, load);
  }

  private static String cpuModel() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: fall through
    }
    return System.getProperty("os.arch");
  }

  private static long gcCount() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }

  private static long gcMillis() {
    long t = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      t += Math.max(0, gc.getCollectionTime());
    }
    return t;
  }

  static long usedHeapAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  static double mb(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}
