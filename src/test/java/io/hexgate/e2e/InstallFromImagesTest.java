package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.e2e.LabSession.Run;
import io.hexgate.lab.starwars.StarWarsChecks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hexgate installed into a fresh lab as into a cluster: the lab runs no operator and no agent
 * ({@code hexgate lab up --hexgate from-images}); {@code kubectl apply -f deploy/hexgate.yaml} brings the operator
 * up from its image, {@code deploy/hexgateconfig.yaml} the agents from theirs; Star Wars as in the demo; the agent
 * pod holds nothing the API server honours; a new agent image tag rolls one node at a time under traffic with
 * no wrong verdict; deleting the HexgateConfig, then the install, leaves no Hexgate object. One lab for all of
 * it, in this order. Needs root, eBPF, runc and umoci, the real control plane and the image archives
 * ({@code ./mvnw -pl images -am package}); skips naming what is missing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallFromImagesTest {
  private static final String PREFIX = "hgl-i";
  private static final Path IMAGES = LabSession.ROOT.resolve("images/target");
  private static final String OPERATOR_ARCHIVE = "hexgate-operator.oci.tar";
  private static final String AGENT_ARCHIVE = "hexgate-agent.oci.tar";
  private static final String AGENT_IMAGE = "ghcr.io/hexgate-io/hexgate-agent:0.1.0";
  /** The same agent image under a second tag, for the rollout. */
  private static final String AGENT_IMAGE_NEXT = "ghcr.io/hexgate-io/hexgate-agent:0.1.0-next";
  private static final String OPERATOR_IMAGE = "ghcr.io/hexgate-io/hexgate-operator:0.1.0";
  private static final Path EXAMPLES = LabSession.ROOT.resolve("examples/starwars");
  private static final String AGENTS = "app.kubernetes.io/component=agent";
  private static final String HEXGATE = "app.kubernetes.io/part-of=hexgate";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path state;
  @TempDir static Path images;
  private static InstalledHexgate hexgate;
  private static LabSession lab;
  private static long started;

  @BeforeAll
  static void up() throws Exception {
    started = System.nanoTime();
    InstalledHexgate.assumeRunnable();
    // the lab's image store: the two archives, and the agent's again under a second tag
    for (String archive : List.of(OPERATOR_ARCHIVE, AGENT_ARCHIVE)) {
      Files.createSymbolicLink(images.resolve(archive), IMAGES.resolve(archive).toAbsolutePath());
    }
    retag(IMAGES.resolve(AGENT_ARCHIVE), images.resolve("hexgate-agent-next.oci.tar"), AGENT_IMAGE_NEXT);
    hexgate = InstalledHexgate.up(PREFIX, state, images);
    lab = hexgate.lab();
  }

  @AfterAll
  static void down() throws Exception {
    if (lab != null) {
      lab.down();
    }
    System.out.printf("InstallFromImagesTest: %.0f s with its lab%n", (System.nanoTime() - started) / 1e9);
  }

  /** A copy of the OCI archive {@code from} whose index.json names {@code ref}. */
  private static void retag(Path from, Path to, String ref) throws Exception {
    Path layout = Files.createTempDirectory(images, "retag");
    run(List.of("tar", "-xf", from.toString(), "-C", layout.toString()));
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) index.path("manifests").get(0).path("annotations"))
        .put("org.opencontainers.image.ref.name", ref);
    JSON.writeValue(layout.resolve("index.json").toFile(), index);
    run(List.of("tar", "-cf", to.toString(), "-C", layout.toString(), "."));
    run(List.of("rm", "-rf", layout.toString()));
  }

  private static Run run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + err).isZero();
    return new Run(0, out, err);
  }

  // ------------------------------------------------------------------------------------------ install

  @Test
  @Order(1)
  void theOperatorRunsFromItsImageAsNonRootWithAReadOnlyRootAndLeads() throws Exception {
    assertThat(lab.kubectl("get", "crd").out()).as("a fresh lab has no CRD of Hexgate's").doesNotContain("cilium.io", "hexgate.io");
    Run applied = lab.kubectl("apply", "-f", LabSession.ROOT.resolve("deploy/hexgate.yaml").toString());
    assertThat(applied.code()).as(applied.out() + applied.err()).isZero();
    assertThat(applied.out()).contains("namespace/hexgate created", "customresourcedefinition.apiextensions.k8s.io/hexgateconfigs.hexgate.io created",
        "deployment.apps/hexgate-operator created");

    JsonNode pod = hexgate.await("the operator pod Ready", 120, () -> hexgate.pods("hexgate", "app.kubernetes.io/component=operator"),
        ps -> ps.size() == 1 && InstalledHexgate.ready(ps.get(0))).get(0);
    JsonNode status = pod.path("status").path("containerStatuses").get(0);
    assertThat(status.path("image").asText()).isEqualTo(OPERATOR_IMAGE);
    assertThat(status.path("containerID").asText()).startsWith("runc://");
    long pid = containerPid(pod);
    assertThat(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
        .as("the operator's uid and gid").anySatisfy(l -> assertThat(l).matches("Uid:\\s+65532\\s+65532\\s+65532\\s+65532"))
        .anySatisfy(l -> assertThat(l).matches("Gid:\\s+65532\\s+65532\\s+65532\\s+65532"));
    assertThat(rootMountOptions(pid)).as("the operator's root filesystem").contains("ro");
    assertThat(capabilities(pid)).as("capabilities of the operator").isEqualTo("0000000000000000");

    String holder = lab.kubectl("get", "lease", "-n", "hexgate", "hexgate-operator", "-o", "jsonpath={.spec.holderIdentity}").out();
    assertThat(holder).as("the Lease names the leader").isNotBlank();
  }

  @Test
  @Order(2)
  void theHexgateConfigBringsUpOneAgentPerNodeFromItsImageEnforcingInTheKernel() throws Exception {
    Run applied = lab.kubectl("apply", "-f", LabSession.ROOT.resolve("deploy/hexgateconfig.yaml").toString());
    assertThat(applied.out()).as(applied.err()).contains("hexgateconfig.hexgate.io/default created");

    JsonNode config = hexgate.await("HexgateConfig status desired 2, ready 2, enforcing 2, Available", 180, hexgate::hexgateConfig,
        c -> c.path("status").path("desiredAgents").asInt() == 2 && c.path("status").path("readyAgents").asInt() == 2
            && c.path("status").path("enforcingAgents").asInt() == 2 && InstalledHexgate.condition(c, "Available").equals("True"));
    assertThat(config.path("status").path("observedGeneration").asLong()).isEqualTo(config.path("metadata").path("generation").asLong());

    List<JsonNode> agents = hexgate.pods("hexgate", AGENTS);
    assertThat(agents).hasSize(2);
    assertThat(agents.stream().map(p -> p.path("spec").path("nodeName").asText()).toList()).containsExactlyInAnyOrder("node-1", "node-2");
    for (JsonNode a : agents) {
      assertThat(a.path("status").path("containerStatuses").get(0).path("image").asText()).isEqualTo(AGENT_IMAGE);
      String node = a.path("spec").path("nodeName").asText();
      String log = Files.readString(state.resolve("containers").resolve(node).resolve("logs")
          .resolve("hexgate_" + a.path("metadata").path("name").asText() + "_agent.log"));
      assertThat(log).contains("bootstrapped the certificate of node " + node);
      assertThat(Path.of("/sys/fs/bpf/hexgate", node, "prog_not_ready_from_pod")).as("the agent's pins at its default place").exists();
    }
    // cluster DNS waited for the agents' not_ready filter on its node, and came up behind it
    hexgate.await("the coredns pod Ready", 60, () -> hexgate.pods("kube-system", "k8s-app=kube-dns"), ps -> ps.size() == 1 && InstalledHexgate.ready(ps.get(0)));
  }

  @Test
  @Order(3)
  void starWarsAsInTheDemo() throws Exception {
    Run created = lab.kubectl("apply", "-f", EXAMPLES.resolve("http-sw-app.yaml").toString());
    assertThat(created.code()).as(created.err()).isZero();
    lab.awaitRunning(4);
    hexgate.await("the Star Wars pods Ready", 60, () -> hexgate.pods("default", "org in (empire,alliance)"), ps -> ps.size() == 4 && ps.stream().allMatch(InstalledHexgate::ready));
    lab.rule1LetsOnlyTheEmpireLand(lab.starWars(), 60);
  }

  @Test
  @Order(4)
  void theAgentPodHoldsNoCredentialTheApiServerHonours() throws Exception {
    JsonNode agent = hexgate.pods("hexgate", AGENTS).get(0);
    Path root = Path.of("/proc", Long.toString(containerPid(agent)), "root");
    assertThat(root.resolve("var/run/secrets/kubernetes.io")).as("no ServiceAccount token of the API's audience mounted").doesNotExist();
    String token = Files.readString(root.resolve("var/run/secrets/hexgate/token")).trim();
    assertThat(token).isNotEmpty();

    // the token, as the agent holds it, against the lab's API server with nothing else (no kubeconfig)
    Path bare = state.resolve("bare.kubeconfig");
    Files.writeString(bare, "apiVersion: v1\nkind: Config\n");
    String api = lab.kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}").out();
    Path ca = state.resolve("control-plane/pki/ca.crt");
    List<String> asToken = List.of(LabSession.kubectlPath(), "--kubeconfig", bare.toString(), "--server", api, "--certificate-authority", ca.toString(),
        "--token", token);
    Run list = lab.run(concat(asToken, "auth", "can-i", "--list", "-n", "hexgate"), 60);
    Run pods = lab.run(concat(asToken, "auth", "can-i", "get", "pods", "-n", "hexgate"), 60);
    assertThat(pods.out().trim()).as("can-i get pods with the agent's token: " + pods.err()).isNotEqualTo("yes");
    if (list.code() != 0) {
      // the API server does not even take it: its audience is hexgate, for the operator's TokenReview only
      assertThat(list.err()).contains("Unauthorized");
    } else {
      assertThat(rules(list.out())).isEqualTo(rules(canIListAs("system:serviceaccount:default:nobody")));
    }
    // were a token of the API's audience minted for the agent's ServiceAccount, it could do no more than anyone
    assertThat(rules(canIListAs("system:serviceaccount:hexgate:hexgate-agent")))
        .isEqualTo(rules(canIListAs("system:serviceaccount:default:nobody")));
    assertThat(lab.kubectl("auth", "can-i", "get", "pods", "-n", "hexgate", "--as", "system:serviceaccount:hexgate:hexgate-agent").out().trim())
        .isEqualTo("no");

    // its node certificate is Hexgate's, which the API server does not trust
    Path certs = root.resolve("var/lib/hexgate/certs");
    Path cert = Files.copy(certs.resolve("tls.crt"), state.resolve("agent.crt"));
    Path key = Files.copy(certs.resolve("tls.key"), state.resolve("agent.key"));
    Run asCert = lab.run(List.of(LabSession.kubectlPath(), "--kubeconfig", bare.toString(), "--server", api, "--certificate-authority", ca.toString(),
        "--client-certificate", cert.toString(), "--client-key", key.toString(), "get", "pods", "-n", "hexgate"), 60);
    assertThat(asCert.code()).isNotZero();
    assertThat(asCert.err()).containsAnyOf("Unauthorized", "Forbidden");
  }

  private Map<String, Set<String>> rules(String canIList) {
    Map<String, Set<String>> out = new HashMap<>();
    canIList.lines().skip(1).map(String::trim).filter(l -> !l.isEmpty()).forEach(l -> {
      String[] cols = l.split("\\s+");
      out.computeIfAbsent(cols[0], k -> new TreeSet<>()).add(l);
    });
    return out;
  }

  private String canIListAs(String user) throws Exception {
    Run r = lab.kubectl("auth", "can-i", "--list", "-n", "hexgate", "--as", user);
    assertThat(r.code()).as(r.err()).isZero();
    return r.out();
  }

  // ------------------------------------------------------------------------------------------ rollout

  @Test
  @Order(5)
  void aNewAgentImageTagRollsOneNodeAtATimeWithNoWrongVerdict() throws Exception {
    Map<String, String> before = new HashMap<>();
    for (JsonNode a : hexgate.pods("hexgate", AGENTS)) {
      before.put(a.path("spec").path("nodeName").asText(), a.path("metadata").path("uid").asText());
    }
    AtomicBoolean stop = new AtomicBoolean();
    List<String> tiefighter = new CopyOnWriteArrayList<>();
    List<String> xwing = new CopyOnWriteArrayList<>();
    Thread empire = traffic("tiefighter", 5, tiefighter, stop);
    Thread alliance = traffic("xwing", StarWarsChecks.BLOCKED_SECONDS, xwing, stop);
    int minReady = 2;
    List<String> timeline = new ArrayList<>();
    try {
      Thread.sleep(2000); // some traffic before
      Run patched = lab.kubectl("patch", "hexgateconfig", "default", "--type", "merge", "-p",
          "{\"spec\":{\"agent\":{\"image\":\"" + AGENT_IMAGE_NEXT + "\"}}}");
      assertThat(patched.code()).as(patched.err()).isZero();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
      while (true) {
        List<JsonNode> agents = hexgate.pods("hexgate", AGENTS);
        int readyNodes = (int) agents.stream().filter(InstalledHexgate::ready).map(a -> a.path("spec").path("nodeName").asText()).distinct().count();
        minReady = Math.min(minReady, readyNodes);
        String line = agents.stream().map(a -> a.path("spec").path("nodeName").asText() + "=" + a.path("spec").path("containers").get(0).path("image").asText()
            .replaceAll(".*:", "") + (InstalledHexgate.ready(a) ? "/ready" : "/not-ready")).sorted().toList().toString();
        if (timeline.isEmpty() || !timeline.get(timeline.size() - 1).endsWith(line)) {
          timeline.add(String.format("%.1fs %s", (deadline - System.nanoTime()) / -1e9 + 240, line));
        }
        boolean done = agents.size() == 2 && agents.stream().allMatch(a -> InstalledHexgate.ready(a) && !before.containsValue(a.path("metadata").path("uid").asText())
            && a.path("spec").path("containers").get(0).path("image").asText().equals(AGENT_IMAGE_NEXT));
        if (done) {
          break;
        }
        assertThat(System.nanoTime()).as("the rollout did not finish: " + timeline).isLessThan(deadline);
        Thread.sleep(200);
      }
      hexgate.await("HexgateConfig enforcing 2 again", 120, hexgate::hexgateConfig,
          c -> c.path("status").path("readyAgents").asInt() == 2 && c.path("status").path("enforcingAgents").asInt() == 2
              && c.path("status").path("updatedAgents").asInt() == 2);
      Thread.sleep(2000); // some traffic after
    } finally {
      stop.set(true);
      empire.join(30_000);
      alliance.join(30_000);
    }
    System.out.println("rollout: " + timeline);
    System.out.println("rollout: tiefighter " + tiefighter.size() + " requests, xwing " + xwing.size());
    assertThat(minReady).as("agents Ready at the same time during the rollout: " + timeline).isGreaterThanOrEqualTo(1);
    assertThat(tiefighter).as("tiefighter requests during the rollout").isNotEmpty().allMatch("LANDED"::equals);
    assertThat(xwing).as("xwing requests during the rollout").isNotEmpty().noneMatch("LANDED"::equals);
  }

  /** Requests of {@code ship} to land, one after the other, straight into its pod's namespace; each answer's kind into {@code answers}. */
  private static Thread traffic(String ship, int seconds, List<String> answers, AtomicBoolean stop) {
    String netns = NodeNetwork.podNetns(PREFIX, "default", ship);
    Thread t = new Thread(() -> {
      while (!stop.get()) {
        try {
          Run r = lab.run(List.of("ip", "netns", "exec", netns, "curl", "-s", "-m", Integer.toString(seconds), "-XPOST", StarWarsChecks.LANDING), seconds + 10);
          answers.add(r.code() == 0 && r.out().equals("Ship landed\n") ? "LANDED" : "exit " + r.code() + " " + r.out().trim());
        } catch (Exception e) {
          answers.add("error " + e);
        }
      }
    }, "traffic-" + ship);
    t.start();
    return t;
  }

  // ------------------------------------------------------------------------------------------ uninstall

  @Test
  @Order(6)
  void deletingTheHexgateConfigRemovesTheAgentsAndWhatTheyNeeded() throws Exception {
    Run deleted = lab.kubectl("delete", "hexgateconfig", "default", "--wait=false");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    hexgate.await("the agents' objects gone", 120,
        () -> lab.kubectl("get", "daemonsets,pods,configmaps,services,serviceaccounts", "-n", "hexgate", "-l", AGENTS, "-o", "name").out(),
        String::isBlank);
    assertThat(hexgate.pods("hexgate", "app.kubernetes.io/component=operator")).as("the operator stays").hasSize(1);
  }

  @Test
  @Order(7)
  void deletingTheInstallLeavesNoHexgateObject() throws Exception {
    Run deleted = lab.kubectl("delete", "-f", LabSession.ROOT.resolve("deploy/hexgate.yaml").toString(), "--wait=false");
    assertThat(deleted.code()).as(deleted.out() + deleted.err()).isZero();
    hexgate.await("the hexgate namespace gone", 120, () -> lab.kubectl("get", "namespace", "hexgate", "--ignore-not-found", "-o", "name").out(), String::isBlank);
    String types = String.join(",", lab.kubectl("api-resources", "--verbs=list", "-o", "name").out().lines().toList());
    Run left = lab.kubectl("get", types, "-A", "-l", HEXGATE, "-o", "name");
    assertThat(left.code()).as(left.err()).isZero();
    assertThat(left.out()).as("objects labelled part-of hexgate").isBlank();
    Run crds = lab.kubectl("get", "crd", "-o", "name");
    assertThat(crds.out()).doesNotContain("cilium.io", "hexgate.io");
    assertThat(lab.kubectl("get", "clusterroles,clusterrolebindings", "-o", "name").out()).doesNotContain("hexgate");
  }

  // ------------------------------------------------------------------------------------------ helpers

  private static List<String> concat(List<String> a, String... b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(List.of(b));
    return all;
  }

  /** The pid of the pod's (first) container's process, as runc knows it. */
  private static long containerPid(JsonNode pod) throws Exception {
    String id = pod.path("status").path("containerStatuses").get(0).path("containerID").asText().replaceFirst("^runc://", "");
    return JSON.readTree(run(List.of("runc", "state", id)).out()).path("pid").asLong();
  }

  private static List<String> rootMountOptions(long pid) throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "mountinfo"))) {
      String[] f = l.split(" ");
      if (f[4].equals("/")) {
        return List.of(f[5].split(","));
      }
    }
    throw new AssertionError("no root mount in the mountinfo of " + pid);
  }

  /** The effective capabilities of {@code pid}, as /proc shows them (hex). */
  private static String capabilities(long pid) throws Exception {
    return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream().filter(l -> l.startsWith("CapEff:"))
        .map(l -> l.substring("CapEff:".length()).trim()).findFirst().orElseThrow();
  }
}
