package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.e2e.LabSession.Run;
import io.hexgate.lab.container.Runc;
import io.hexgate.lab.starwars.StarWarsChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh lab running no Hexgate ({@code hexgate lab up --hexgate from-images}) and what an install into it
 * must bring about, whichever way it was installed (Helm, OLM): the operator and one agent per node running
 * from their images, the HexgateConfig's status, the Star Wars story, and what is left once it is removed.
 */
final class InstalledHexgate {
  static final Path IMAGES = LabSession.ROOT.resolve("images/target");
  static final String OPERATOR_IMAGE = "ghcr.io/hexgate-io/hexgate-operator:0.1.0";
  static final String AGENT_IMAGE = "ghcr.io/hexgate-io/hexgate-agent:0.1.0";
  static final String AGENTS = "app.kubernetes.io/component=agent";
  static final String OPERATOR = "app.kubernetes.io/component=operator";
  static final String HEXGATE = "app.kubernetes.io/part-of=hexgate";
  static final String NAMESPACE = "hexgate";
  private static final Path EXAMPLES = LabSession.ROOT.resolve("examples/starwars");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final LabSession lab;

  private InstalledHexgate(LabSession lab) {
    this.lab = lab;
  }

  /**
   * A 2-node lab in {@code state} running no Hexgate, its nodes running the images of {@value #IMAGES}
   * archives as containers; skips naming what is missing (root, eBPF, runc and umoci, the real control
   * plane, the archives).
   */
  static InstalledHexgate up(String prefix, Path state, String... extraArgs) throws Exception {
    assumeRunnable();
    return up(prefix, state, IMAGES, extraArgs);
  }

  /** As above, with the lab's image store in {@code images}; call {@link #assumeRunnable()} first. */
  static InstalledHexgate up(String prefix, Path state, Path images, String... extraArgs) throws Exception {
    List<String> args = new ArrayList<>(List.of("--hexgate", "from-images", "--images", images.toAbsolutePath().toString()));
    args.addAll(List.of(extraArgs));
    return new InstalledHexgate(LabSession.up(prefix, state, args.toArray(String[]::new)));
  }

  /** Skips the test, naming what is missing for Hexgate from its images: the archives, runc, eBPF, the real control plane. */
  static void assumeRunnable() throws Exception {
    List<String> missing = new ArrayList<>();
    for (String archive : List.of("hexgate-operator.oci.tar", "hexgate-agent.oci.tar")) {
      if (!Files.isRegularFile(IMAGES.resolve(archive))) {
        missing.add(IMAGES.resolve(archive) + " (./mvnw -pl images -am package)");
      }
    }
    Runc.unavailable().ifPresent(missing::add);
    NodeAgent.bpfUnavailable().ifPresent(why -> missing.add("eBPF: " + why));
    Assumptions.assumeTrue(missing.isEmpty(), () -> "skipped: Hexgate from its images needs " + String.join(", ", missing));
    LabSession.kubectlPath(); // skips without the real control plane
  }

  LabSession lab() {
    return lab;
  }

  Run kubectl(String... args) throws Exception {
    return lab.kubectl(args);
  }

  /** The operator's one pod Ready, running the operator image; returns it. */
  JsonNode awaitOperator() throws Exception {
    JsonNode pod = await("the operator pod Ready", 120, () -> pods(NAMESPACE, OPERATOR), ps -> ps.size() == 1 && ready(ps.get(0))).get(0);
    JsonNode status = pod.path("status").path("containerStatuses").get(0);
    assertThat(status.path("image").asText()).isEqualTo(OPERATOR_IMAGE);
    assertThat(status.path("containerID").asText()).as("a container of the lab's runtime").startsWith("runc://");
    return pod;
  }

  /**
   * The HexgateConfig {@code default}'s status says 2 agents desired, ready and enforcing; one agent pod on
   * each node from the agent image, which bootstrapped its certificate; cluster DNS came up behind them.
   */
  void awaitAgentsEnforcing() throws Exception {
    JsonNode config = await("HexgateConfig status desired 2, ready 2, enforcing 2, Available", 180, this::hexgateConfig,
        c -> c.path("status").path("desiredAgents").asInt() == 2 && c.path("status").path("readyAgents").asInt() == 2
            && c.path("status").path("enforcingAgents").asInt() == 2 && "True".equals(condition(c, "Available")));
    assertThat(config.path("status").path("observedGeneration").asLong()).isEqualTo(config.path("metadata").path("generation").asLong());
    List<JsonNode> agents = pods(NAMESPACE, AGENTS);
    assertThat(agents.stream().map(p -> p.path("spec").path("nodeName").asText()).toList()).containsExactlyInAnyOrder("node-1", "node-2");
    for (JsonNode a : agents) {
      assertThat(a.path("status").path("containerStatuses").get(0).path("image").asText()).isEqualTo(AGENT_IMAGE);
      assertThat(a.path("status").path("containerStatuses").get(0).path("containerID").asText()).startsWith("runc://");
      String node = a.path("spec").path("nodeName").asText();
      String log = Files.readString(lab.state().resolve("containers").resolve(node).resolve("logs")
          .resolve(NAMESPACE + "_" + a.path("metadata").path("name").asText() + "_agent.log"));
      assertThat(log).contains("bootstrapped the certificate of node " + node);
    }
    await("the coredns pod Ready", 60, () -> pods("kube-system", "k8s-app=kube-dns"), ps -> ps.size() == 1 && ready(ps.get(0)));
  }

  /** As in the demo: both ships land; with rule1 enforcing on both nodes the tiefighter lands and the xwing's request times out. */
  void starWars() throws Exception {
    Run created = lab.kubectl("apply", "-f", EXAMPLES.resolve("http-sw-app.yaml").toString());
    assertThat(created.code()).as(created.err()).isZero();
    lab.awaitRunning(4);
    await("the Star Wars pods Ready", 60, () -> pods("default", "org in (empire,alliance)"),
        ps -> ps.size() == 4 && ps.stream().allMatch(InstalledHexgate::ready));
    StarWarsChecks ships = lab.starWars();
    assertPassed(ships.canLand("xwing"));
    assertPassed(ships.canLand("tiefighter"));

    Run policy = lab.kubectl("apply", "-f", EXAMPLES.resolve("sw_l3_l4_policy.yaml").toString());
    assertThat(policy.out()).as(policy.err()).contains("ciliumnetworkpolicy.cilium.io/rule1 created");
    assertPassed(StarWarsChecks.enforcedEverywhere("rule1", lab.awaitEnforced("rule1", 60), 2));
    assertPassed(ships.canLand("tiefighter"));
    assertPassed(ships.isDenied("xwing"));
    relayShowsTheDrop();
  }

  /**
   * The installed operator's relay (4245 on its node's network) reaches both agents' Hubble servers over
   * mutual TLS with the operator's CA, and shows the xwing's drop, asked from the operator's node.
   */
  private void relayShowsTheDrop() throws Exception {
    String node = pods(NAMESPACE, OPERATOR).get(0).path("spec").path("nodeName").asText();
    String netns = lab.prefix() + node;
    await("the xwing's drop through the installed relay", 60,
        () -> lab.hexgateIn(netns, "observe", "--server", "127.0.0.1:4245", "--verdict", "DROPPED", "--from-pod", "xwing").out(),
        out -> out.matches("(?s).*default/xwing:\\d+ \\(ID:\\d+\\) <> default/deathstar-\\S+:80 \\(ID:\\d+\\) Policy denied DROPPED.*"));
    assertThat(lab.hexgateIn(netns, "status", "--server", "127.0.0.1:4245").out()).contains("Connected Nodes: 2/2");
  }

  /** {@code kubectl delete hexgateconfig default}: the agents and every object the operator made for them go; the operator stays. */
  void deleteHexgateConfig() throws Exception {
    Run deleted = lab.kubectl("delete", "hexgateconfig", "default", "--wait=false");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    await("the agents' objects gone", 120,
        () -> lab.kubectl("get", "daemonsets,pods,configmaps,services,serviceaccounts", "-n", NAMESPACE, "-l", AGENTS, "-o", "name").out(),
        String::isBlank);
    assertThat(pods(NAMESPACE, OPERATOR)).as("the operator stays").hasSize(1);
  }

  /**
   * What must hold once Hexgate was removed but its namespace kept: of all objects labelled part-of hexgate
   * only the CRDs stay ({@code whyCrdsStay}: who keeps them); of the ClusterRoles and bindings named after
   * hexgate, only those whose names match {@code installersClusterRbac} (the installer's own, null: none); in
   * namespace {@value #NAMESPACE} only what Kubernetes puts in every namespace and {@code installersOwn}. Into
   * {@code left}, so that every leftover is named at once.
   */
  void assertOnlyTheCrdsLeft(SoftAssertions left, String whyCrdsStay, String installersClusterRbac, String... installersOwn)
      throws Exception {
    // what the removed objects owned goes with them, through the garbage collector: give it time
    TreeSet<String> crds = hexgateCrds();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!labelledObjects().equals(crds) && System.nanoTime() < deadline) {
      Thread.sleep(1000);
    }
    left.assertThat(labelledObjects()).as("objects labelled part-of hexgate: " + whyCrdsStay + ", and nothing else stays")
        .isEqualTo(crds);
    left.assertThat(lab.kubectl("get", "clusterroles,clusterrolebindings", "-o", "name").out().lines()
            .map(l -> l.substring(l.indexOf('/') + 1)).filter(n -> n.contains("hexgate"))
            .filter(n -> installersClusterRbac == null || !n.matches(installersClusterRbac)).toList())
        .as("ClusterRoles and bindings named after hexgate").isEmpty();
    List<String> expected = new ArrayList<>(List.of("configmap/kube-root-ca.crt", "serviceaccount/default"));
    expected.addAll(List.of(installersOwn));
    left.assertThat(objectsIn(NAMESPACE)).as("what stays in namespace " + NAMESPACE).containsExactlyInAnyOrderElementsOf(expected);
  }

  /** Every object of every listable type, in any namespace, labelled part-of hexgate ({@code kind.group/name}, sorted). */
  TreeSet<String> labelledObjects() throws Exception {
    String types = String.join(",", lab.kubectl("api-resources", "--verbs=list", "-o", "name").out().lines().toList());
    Run left = lab.kubectl("get", types, "-A", "-l", HEXGATE, "-o", "name");
    assertThat(left.code()).as(left.err()).isZero();
    return new TreeSet<>(left.out().lines().filter(l -> !l.isBlank()).toList());
  }

  /**
   * Every namespaced object in {@code namespace} but its events ({@code kind.group/name}, sorted); empty when the
   * namespace is gone. Events are the cluster's record of what happened there, not objects anyone installed.
   */
  TreeSet<String> objectsIn(String namespace) throws Exception {
    String types = String.join(",", lab.kubectl("api-resources", "--verbs=list", "--namespaced=true", "-o", "name").out().lines()
        .filter(t -> !t.equals("events") && !t.equals("events.events.k8s.io")).toList());
    Run left = lab.kubectl("get", types, "-n", namespace, "--ignore-not-found", "-o", "name");
    assertThat(left.code()).as(left.err()).isZero();
    return new TreeSet<>(left.out().lines().filter(l -> !l.isBlank()).toList());
  }

  /** The names of the custom resource definitions Hexgate installs: those of the checkout's crds/ directory. */
  static TreeSet<String> hexgateCrds() throws Exception {
    TreeSet<String> names = new TreeSet<>();
    try (var files = Files.list(LabSession.ROOT.resolve("crds"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yml")).toList()) {
        String name = Files.readAllLines(f).stream().map(String::trim).filter(l -> l.startsWith("name: ") && l.contains("."))
            .findFirst().orElseThrow(() -> new AssertionError("no metadata.name in " + f)).substring("name: ".length()).replace("\"", "").trim();
        names.add("customresourcedefinition.apiextensions.k8s.io/" + name);
      }
    }
    return names;
  }

  List<JsonNode> pods(String namespace, String selector) throws Exception {
    Run r = lab.kubectl("get", "pods", "-n", namespace, "-l", selector, "-o", "json");
    assertThat(r.code()).as(r.err()).isZero();
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(r.out()).path("items").forEach(out::add);
    return out;
  }

  JsonNode hexgateConfig() throws Exception {
    Run r = lab.kubectl("get", "hexgateconfig", "default", "-o", "json");
    return r.code() == 0 ? JSON.readTree(r.out()) : JSON.createObjectNode();
  }

  static String condition(JsonNode o, String type) {
    for (JsonNode c : o.path("status").path("conditions")) {
      if (type.equals(c.path("type").asText())) {
        return c.path("status").asText();
      }
    }
    return "";
  }

  static boolean ready(JsonNode pod) {
    return pod.path("metadata").path("deletionTimestamp").isMissingNode() && "True".equals(condition(pod, "Ready"));
  }

  @FunctionalInterface
  interface Probe<T> {
    T get() throws Exception;
  }

  /** Polls {@code probe} until {@code done}; fails after {@code seconds} with the last value and the lab's pods, events and container logs. */
  <T> T await(String what, int seconds, Probe<T> probe, Predicate<T> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    T last;
    while (!done.test(last = probe.get())) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + seconds + " s: " + what + "; last seen: " + last + "\n" + diagnostics());
      }
      Thread.sleep(500);
    }
    return last;
  }

  String diagnostics() throws Exception {
    StringBuilder b = new StringBuilder(lab.kubectl("get", "pods", "-A", "-o", "wide").out());
    b.append(lab.kubectl("get", "events", "-A", "--sort-by=.lastTimestamp").out());
    Path logs = lab.state().resolve("containers");
    if (Files.isDirectory(logs)) {
      try (var files = Files.walk(logs)) {
        for (Path f : files.filter(f -> f.toString().endsWith(".log")).toList()) {
          List<String> lines = Files.readAllLines(f);
          b.append("\n--- ").append(f).append('\n').append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
        }
      }
    }
    return b.toString();
  }

  private static void assertPassed(StarWarsChecks.Outcome outcome) {
    assertThat(outcome.passed()).as(outcome.describe()).isTrue();
  }
}
