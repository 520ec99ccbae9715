package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.e2e.LabSession.Run;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab on the real control plane, checked from outside as a cluster admin would: the release on both
 * sides of {@code kubectl version}, the Cilium kinds in {@code kubectl api-resources}, the operator's
 * ServiceAccount allowed exactly the bundle's rules, invalid policies refused by the real API server with
 * the field path, Star Wars with no 403 in the operator's log, garbage collection by owner and namespace,
 * and enforcement that goes on while kube-apiserver is down. Needs root (and eBPF for the traffic steps).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealControlPlaneTest {
  private static final String PREFIX = "hgl-r";
  private static final Path EXAMPLES = LabSession.ROOT.resolve("examples/starwars");
  private static final String LANDING = "deathstar.default.svc.cluster.local/v1/request-landing";
  private static final String OPERATOR = "system:serviceaccount:hexgate:hexgate-operator";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir static Path state;
  private static LabSession lab;
  /** The kube-apiserver the outage test started again: this JVM's child, which `lab down` did not always stop. */
  private static Process restartedApiserver;

  @BeforeAll
  static void up() throws Exception {
    lab = LabSession.up(PREFIX, state, "--control-plane", "real");
  }

  @AfterAll
  static void down() throws Exception {
    try {
      if (lab != null) {
        lab.down();
      }
    } finally {
      if (restartedApiserver != null && restartedApiserver.isAlive()) {
        restartedApiserver.destroy();
        if (!restartedApiserver.waitFor(10, TimeUnit.SECONDS)) {
          restartedApiserver.destroyForcibly();
        }
      }
    }
  }

  private static String release() throws Exception {
    Path apiserver = Path.of(LabSession.kubectlPath()).resolveSibling("kube-apiserver");
    Run v = lab.run(List.of(apiserver.toString(), "--version"), 30);
    return v.out().trim().replace("Kubernetes ", "");
  }

  @Test
  @Order(1)
  void kubectlAndTheApiServerAreThePinnedRelease() throws Exception {
    String pinned = Files.readAllLines(LabSession.ROOT.resolve("scripts/ensure-control-plane.sh")).stream()
        .filter(l -> l.startsWith("K8S_VERSION=")).findFirst().orElseThrow().replaceAll("K8S_VERSION=(\\S+).*", "$1");
    assertThat(release()).isEqualTo(pinned);
    Run version = lab.kubectl("version", "-o", "json");
    assertThat(version.code()).as(version.err()).isZero();
    JsonNode v = JSON.readTree(version.out());
    assertThat(v.path("clientVersion").path("gitVersion").asText()).isEqualTo(pinned);
    assertThat(v.path("serverVersion").path("gitVersion").asText()).isEqualTo(pinned);
  }

  @Test
  @Order(2)
  void apiResourcesListTheCiliumKinds() throws Exception {
    Run r = lab.kubectl("api-resources", "--api-group=cilium.io", "--no-headers");
    assertThat(r.code()).as(r.err()).isZero();
    Map<String, String> shortNames = new TreeMap<>();
    r.out().lines().map(l -> l.trim().split("\\s+")).forEach(cols -> shortNames.put(cols[0], cols.length == 5 ? cols[1] : ""));
    assertThat(shortNames).containsKeys("ciliumnetworkpolicies", "ciliumclusterwidenetworkpolicies", "ciliumendpoints", "ciliumidentities");
    assertThat(shortNames.get("ciliumnetworkpolicies")).contains("cnp");
    assertThat(shortNames.get("ciliumclusterwidenetworkpolicies")).contains("ccnp");
    assertThat(shortNames.get("ciliumendpoints")).contains("cep");
  }

  @Test
  @Order(3)
  void theOperatorsServiceAccountMayDoExactlyWhatTheBundleGrants() throws Exception {
    // what any ServiceAccount may do by the API server's own defaults (discovery, self reviews, ...)
    String nobody = "system:serviceaccount:default:nobody";
    Map<String, Set<String>> everyone = canIList(nobody, "default");
    assertThat(canIList(OPERATOR, "default")).isEqualTo(merge(everyone, rules("hexgate-operator.clusterrole.yaml")));
    assertThat(canIList(OPERATOR, "hexgate"))
        .isEqualTo(merge(merge(everyone, rules("hexgate-operator.clusterrole.yaml")), rules("hexgate-operator.role.yaml")));
  }

  /**
   * Each rule of the bundle's roles, the operation of the operator it is there for (as the operator's
   * ServiceAccount), and what that operation is: with the rule the API server does not forbid it, without
   * it the API server does, naming the resource.
   */
  private static final List<RuleUse> RULE_USES = List.of(
      new RuleUse("hexgate-operator.clusterrole.yaml", "pods", "the pod informer lists pods", asOperator("get", "pods", "-A")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "networkpolicies", "the NetworkPolicy informer lists them", asOperator("get", "networkpolicies", "-A")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "services", "the service informer lists services", asOperator("get", "services", "-A")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "endpointslices", "the backend informer lists EndpointSlices", asOperator("get", "endpointslices", "-A")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "nodes", "the node informer lists nodes", asOperator("get", "nodes")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "ciliumnetworkpolicies", "the policy informer lists CNPs", asOperator("get", "ciliumnetworkpolicies", "-A")),
      // kubectl reads the status before it patches it; the operator patches without reading
      new RuleUse("hexgate-operator.clusterrole.yaml", "ciliumnetworkpolicies/status", "the status writer patches a CNP's status",
          RealControlPlaneTest::patchRule1StatusAsOperator),
      new RuleUse("hexgate-operator.clusterrole.yaml", "ciliumidentities", "the identity allocator recovers identities", asOperator("get", "ciliumidentities")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "ciliumendpoints", "the endpoint writer lists CiliumEndpoints", asOperator("get", "ciliumendpoints", "-A")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "hexgateconfigs", "the installer lists HexgateConfigs", asOperator("get", "hexgateconfigs")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "hexgateconfigs/status", "the installer patches a HexgateConfig's status",
          () -> patchStatusAsOperator("/apis/hexgate.io/v1alpha1/hexgateconfigs/rbac-probe/status")),
      new RuleUse("hexgate-operator.clusterrole.yaml", "tokenreviews", "a bootstrapping agent's token is reviewed",
          RealControlPlaneTest::reviewTokenAsOperator),
      // allowed, the answer is NotFound: no Cilium here
      new RuleUse("hexgate-operator.clusterrole.yaml", "customresourcedefinitions", "the operator looks for Cilium before it starts",
          asOperator("get", "crd", "ciliumnodes.cilium.io")),
      new RuleUse("hexgate-operator.role.yaml", "leases", "the leader elector reads its Lease", asOperator("get", "lease", "hexgate-operator", "-n", "hexgate")),
      new RuleUse("hexgate-operator.role.yaml", "secrets", "the agents' CA is read from its Secret", asOperator("get", "secrets", "-n", "hexgate")),
      new RuleUse("hexgate-operator.role.yaml", "daemonsets", "the installer lists the agents' DaemonSet", asOperator("get", "daemonsets", "-n", "hexgate")),
      new RuleUse("hexgate-operator.role.yaml", "configmaps", "the installer lists the agents' ConfigMaps", asOperator("get", "configmaps", "-n", "hexgate")),
      new RuleUse("hexgate-operator.role.yaml", "serviceaccounts", "the installer lists the agents' ServiceAccount",
          asOperator("get", "serviceaccounts", "-n", "hexgate")),
      new RuleUse("hexgate-operator.role.yaml", "services", "the installer creates the agents' metrics Service",
          asOperator("create", "service", "clusterip", "rbac-probe", "--tcp=9962:9962", "-n", "hexgate", "--dry-run=server")),
      // allowed, the answer is NotFound: the lab runs the operator in its own process
      new RuleUse("hexgate-operator.role.yaml", "deployments", "the operator finds its own Deployment, to own the CA Secret and Lease",
          asOperator("get", "deployment", "hexgate-operator", "-n", "hexgate")),
      // allowed, the answer is NotFound
      new RuleUse("hexgate-operator.role.yaml", "pods", "a bootstrapping agent's pod is read",
          asOperator("get", "pod", "rbac-probe", "-n", "hexgate")));

  /** A rule of a bundle role (found by a resource it names) and an attempt at what the operator does with it. */
  record RuleUse(String manifest, String resource, String operation, Attempt attempt) {}

  /** Does something as the operator's ServiceAccount; returns the error, empty when it worked. */
  @FunctionalInterface
  interface Attempt {
    String run() throws Exception;
  }

  @Test
  @Order(9)
  void removingAnyRuleOfTheBundleBreaksANamedOperation() throws Exception {
    Map<String, Integer> covered = new TreeMap<>();
    for (RuleUse use : RULE_USES) {
      JsonNode role = YAML.readTree(LabSession.ROOT.resolve("config/rbac").resolve(use.manifest()).toFile());
      int index = -1;
      for (int i = 0; i < role.path("rules").size(); i++) {
        for (JsonNode r : role.path("rules").get(i).path("resources")) {
          if (r.asText().equals(use.resource())) {
            index = i;
          }
        }
      }
      assertThat(index).as("a rule for %s in %s", use.resource(), use.manifest()).isNotNegative();
      covered.merge(use.manifest(), 1, Integer::sum);
      assertThat(use.attempt().run()).as(use.operation() + " with every rule").doesNotContain("forbidden");
      ObjectNode without = (ObjectNode) role.deepCopy();
      ((ArrayNode) without.path("rules")).remove(index);
      replace(without);
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String denied;
        while (!(denied = use.attempt().run()).contains("forbidden")) {
          assertThat(System.nanoTime()).as(use.operation() + " still allowed without the rule for " + use.resource()).isLessThan(deadline);
          Thread.sleep(200);
        }
        assertThat(denied).contains("User \"" + OPERATOR + "\" cannot", "resource \"" + use.resource() + "\"");
      } finally {
        replace(role);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (use.attempt().run().contains("forbidden")) {
        assertThat(System.nanoTime()).as("allowed again once the rule is back").isLessThan(deadline);
        Thread.sleep(200);
      }
    }
    for (String manifest : List.of("hexgate-operator.clusterrole.yaml", "hexgate-operator.role.yaml")) {
      int rules = YAML.readTree(LabSession.ROOT.resolve("config/rbac").resolve(manifest).toFile()).path("rules").size();
      assertThat(covered.get(manifest)).as("every rule of %s has its operation in the table", manifest).isEqualTo(rules);
    }
  }

  private static Attempt asOperator(String... kubectl) {
    return () -> {
      List<String> args = new ArrayList<>(List.of(kubectl));
      args.add("--as=" + OPERATOR);
      Run r = lab.kubectl(args.toArray(String[]::new));
      return r.code() == 0 ? "" : r.err();
    };
  }

  private static String reviewTokenAsOperator() throws Exception {
    Path review = state.resolve("tokenreview.yaml");
    Files.writeString(review, """
        apiVersion: authentication.k8s.io/v1
        kind: TokenReview
        spec:
          token: not-a-token
          audiences: [hexgate]
        """);
    return asOperator("create", "--validate=false", "-f", review.toString(), "-o", "name").run();
  }

  private static String patchRule1StatusAsOperator() throws Exception {
    return patchStatusAsOperator("/apis/cilium.io/v2/namespaces/default/ciliumnetworkpolicies/rule1/status");
  }

  /**
   * An empty merge patch of a status as the operator sends it: the request alone, without reading the object
   * first as kubectl and fabric8's patch do. The error when refused, else empty (a missing object is fine).
   */
  private static String patchStatusAsOperator(String path) throws Exception {
    String token = lab.kubectl("create", "token", "hexgate-operator", "-n", "hexgate").out().trim();
    Config admin = Config.fromKubeconfig(null, state.resolve("kubeconfig").toFile());
    Config operator = new ConfigBuilder(admin).withClientCertData(null).withClientKeyData(null).withOauthToken(token).build();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(operator).build()) {
      var http = client.getHttpClient();
      var request = http.newHttpRequestBuilder()
          .uri(client.getMasterUrl().toString().replaceAll("/$", "") + path)
          .method("PATCH", "application/merge-patch+json", "{}")
          .build();
      var response = http.sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
      return response.code() == 403 ? JSON.readTree(response.body()).path("message").asText() : "";
    }
  }

  private static void replace(JsonNode object) throws Exception {
    Path f = Files.createTempFile(state, "role", ".json");
    Files.writeString(f, JSON.writeValueAsString(object), StandardCharsets.UTF_8);
    Run r = lab.kubectl("replace", "-f", f.toString());
    assertThat(r.code()).as(r.err()).isZero();
  }

  private static Map<String, Set<String>> canIList(String user, String namespace) throws Exception {
    Run r = lab.kubectl("auth", "can-i", "--list", "--as=" + user, "-n", namespace, "--no-headers");
    assertThat(r.code()).as(r.err()).isZero();
    Map<String, Set<String>> out = new TreeMap<>();
    for (String line : r.out().lines().toList()) {
      // RESOURCES  NON-RESOURCE-URLS  RESOURCE-NAMES  VERBS; only resource rules (no URL)
      String[] cols = line.trim().split("\\s+");
      if (cols.length < 4 || !cols[1].equals("[]") || cols[0].startsWith("[")) {
        continue;
      }
      String verbs = line.substring(line.lastIndexOf('[') + 1, line.lastIndexOf(']'));
      out.computeIfAbsent(cols[0], k -> new TreeSet<>()).addAll(List.of(verbs.split(" ")));
    }
    return out;
  }

  /** The rules of a bundle manifest as kubectl prints them: {@code resource.group} to its verbs. */
  static Map<String, Set<String>> rules(String manifest) throws Exception {
    JsonNode role = YAML.readTree(LabSession.ROOT.resolve("config/rbac").resolve(manifest).toFile());
    Map<String, Set<String>> out = new TreeMap<>();
    for (JsonNode rule : role.path("rules")) {
      for (JsonNode group : rule.path("apiGroups")) {
        for (JsonNode resource : rule.path("resources")) {
          // kubectl prints pods/status of group g as pods.g/status
          String[] parts = resource.asText().split("/", 2);
          String name = parts[0] + (group.asText().isEmpty() ? "" : "." + group.asText()) + (parts.length > 1 ? "/" + parts[1] : "");
          rule.path("verbs").forEach(v -> out.computeIfAbsent(name, k -> new TreeSet<>()).add(v.asText()));
        }
      }
    }
    return out;
  }

  private static Map<String, Set<String>> merge(Map<String, Set<String>> a, Map<String, Set<String>> b) {
    Map<String, Set<String>> out = new TreeMap<>();
    for (Map<String, Set<String>> m : List.of(a, b)) {
      m.forEach((k, v) -> out.computeIfAbsent(k, x -> new TreeSet<>()).addAll(v));
    }
    return out;
  }

  @Test
  @Order(4)
  void theRealApiServerRefusesInvalidPoliciesNamingTheField() throws Exception {
    Run unknown = apply("unknown-field", "spec:\n  endpointSelector: {}\n  ingres:\n  - {}\n");
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("unknown field \"spec.ingres\"");
    Run badEnum = apply("bad-protocol", "spec:\n  endpointSelector: {}\n  ingress:\n  - toPorts:\n    - ports:\n      - port: \"80\"\n        protocol: TCPX\n");
    assertThat(badEnum.code()).isNotZero();
    assertThat(badEnum.err()).contains("spec.ingress[0].toPorts[0].ports[0].protocol", "Unsupported value: \"TCPX\"");
    Run noSpec = apply("no-spec", "");
    assertThat(noSpec.code()).isNotZero();
    assertThat(noSpec.err()).contains("no-spec", "spec or specs must be provided");
    assertThat(lab.kubectl("get", "cnp", "-o", "name").out()).doesNotContain("unknown-field", "bad-protocol", "no-spec");
  }

  private static Run apply(String name, String body) throws Exception {
    Path f = Files.createTempFile(state, name, ".yaml");
    Files.writeString(f, "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: " + name + "\n" + body, StandardCharsets.UTF_8);
    return lab.kubectl("apply", "-f", f.toString());
  }

  @Test
  @Order(5)
  void starWarsWithTheOperatorUnderItsServiceAccount() throws Exception {
    assertThat(lab.kubectl("apply", "-f", EXAMPLES.resolve("http-sw-app.yaml").toString()).code()).isZero();
    lab.awaitRunning(4);
    Run policy = lab.kubectl("apply", "-f", EXAMPLES.resolve("sw_l3_l4_policy.yaml").toString());
    assertThat(policy.out()).as(policy.err()).contains("ciliumnetworkpolicy.cilium.io/rule1 created");
    String describe = lab.awaitEnforced("rule1", 30);
    assertThat(describe).contains("Valid");
    assertThat(LabSession.countEnforcing(describe)).as(describe).isEqualTo(2);
    assertThat(lab.kubectl("get", "cep", "-o", "name").out()).contains("xwing", "tiefighter", "deathstar-");
    String log = Files.readString(state.resolve("lab.log"), StandardCharsets.UTF_8);
    assertThat(log).as("the operator ran into RBAC").doesNotContain("Forbidden", "forbidden");
  }

  // Last: after the kube-apiserver restart, kube-controller-manager's informers back off before they watch
  // again, which would hold up the garbage collection and ServiceAccounts the tests before it wait for.
  @Test
  @Order(10)
  void enforcementGoesOnWhileKubeApiserverIsDownAndStatusCatchesUp() throws Exception {
    String bpf = NodeAgent.bpfUnavailable().orElse(null);
    Assumptions.assumeTrue(bpf == null, () -> "skipped: the eBPF datapath is unavailable (" + bpf + ")");
    Path pidFile = state.resolve("control-plane/kube-apiserver.pid");
    List<String> pid = Files.readAllLines(pidFile);
    List<String> cmdline = List.of(new String(Files.readAllBytes(Path.of("/proc", pid.get(0).trim(), "cmdline")), StandardCharsets.UTF_8)
        .split("\0"));
    ProcessHandle.of(Long.parseLong(pid.get(0).trim())).orElseThrow().destroyForcibly();
    long down = System.nanoTime();
    List<String> wrong = new ArrayList<>();
    int judged = 0;
    // both ships, straight into their namespaces (lab exec asks the API server where the pod is)
    while (System.nanoTime() - down < TimeUnit.SECONDS.toNanos(30)) {
      for (String ship : List.of("tiefighter", "xwing")) {
        String netns = NodeNetwork.podNetns(PREFIX, "default", ship);
        Run r = lab.run(List.of("ip", "netns", "exec", netns, "curl", "-s", "-m", "1", "-XPOST", LANDING), 10);
        boolean landed = r.out().equals("Ship landed\n");
        if (landed != ship.equals("tiefighter")) {
          wrong.add(ship + (landed ? " landed" : " did not land (exit " + r.code() + ")"));
        }
        judged++;
      }
    }
    assertThat(wrong).as("wrong verdicts among %d while kube-apiserver was down", judged).isEmpty();
    assertThat(lab.kubectl("get", "pods").code()).as("the API server is really down").isNotZero();

    Path log = state.resolve("control-plane/kube-apiserver.log");
    Process restarted = restartedApiserver = new ProcessBuilder(cmdline).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    // `lab down` stops what the pid file names
    Files.writeString(pidFile, restarted.pid() + "\n" + cmdline.get(0) + "\n");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (lab.kubectl("get", "--raw", "/readyz").code() != 0) {
      assertThat(System.nanoTime()).as("kube-apiserver ready again within 60 s").isLessThan(deadline);
      Thread.sleep(200);
    }
    long ready = System.nanoTime();
    Run created = apply("after-restart", "spec:\n  endpointSelector:\n    matchLabels:\n      org: empire\n  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        org: empire\n");
    assertThat(created.code()).as(created.err()).isZero();
    String describe = lab.awaitEnforced("after-restart", 10);
    assertThat(LabSession.countEnforcing(describe)).as("describe cnp current within 10 s of the restart:\n" + describe).isEqualTo(2);
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - ready)).isLessThanOrEqualTo(10);
  }

  @Test
  @Order(6)
  void deletingADeploymentCollectsItsReplicaSetPodsAndCiliumEndpoints() throws Exception {
    // a Deployment of its own: the deathstar serves the outage test that runs last
    Path f = Files.createTempFile(state, "shuttle", ".yaml");
    Files.writeString(f, """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: shuttle, namespace: default}
        spec:
          replicas: 2
          selector: {matchLabels: {class: shuttle}}
          template:
            metadata: {labels: {org: alliance, class: shuttle}}
            spec:
              containers: [{name: main, image: quay.io/cilium/json-mock:v1.3.8}]
        """, StandardCharsets.UTF_8);
    Run created = lab.kubectl("apply", "-f", f.toString());
    assertThat(created.code()).as(created.err()).isZero();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (lab.kubectl("get", "cep", "-o", "name").out().lines().filter(l -> l.contains("/shuttle-")).count() < 2) {
      assertThat(System.nanoTime()).as("the shuttle's two CiliumEndpoints").isLessThan(deadline);
      Thread.sleep(500);
    }
    Run deleted = lab.kubectl("delete", "deployment", "shuttle");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    awaitGone(List.of("replicasets", "pods", "ciliumendpoints"), "shuttle", "default");
  }

  @Test
  @Order(7)
  void deletingANamespaceRemovesItsPoliciesEndpointsAndUnusedIdentities() throws Exception {
    assertThat(lab.kubectl("create", "namespace", "empire").code()).isZero();
    // pods wait for the namespace's default ServiceAccount, which kube-controller-manager makes
    long saDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (lab.kubectl("get", "serviceaccount", "default", "-n", "empire").code() != 0) {
      assertThat(System.nanoTime()).as("the default ServiceAccount of a new namespace").isLessThan(saDeadline);
      Thread.sleep(200);
    }
    Path f = Files.createTempFile(state, "empire", ".yaml");
    Files.writeString(f, """
        apiVersion: v1
        kind: Pod
        metadata: {name: probe, namespace: empire, labels: {org: empire, class: probe}}
        spec:
          containers: [{name: main, image: quay.io/cilium/json-mock:v1.3.8}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: guard, namespace: empire}
        spec:
          endpointSelector: {matchLabels: {class: probe}}
          ingress: [{fromEndpoints: [{matchLabels: {org: empire}}]}]
        """, StandardCharsets.UTF_8);
    Run created = lab.kubectl("apply", "-f", f.toString());
    assertThat(created.code()).as(created.err()).isZero();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!lab.kubectl("get", "cep", "-n", "empire", "-o", "name").out().contains("probe")) {
      assertThat(System.nanoTime()).as("the probe's CiliumEndpoint").isLessThan(deadline);
      Thread.sleep(500);
    }
    assertThat(lab.kubectl("get", "ciliumidentities", "-l", "io.kubernetes.pod.namespace=empire", "-o", "name").out()).isNotBlank();
    Run deleted = lab.kubectl("delete", "namespace", "empire", "--wait=false");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    awaitGone(List.of("ciliumnetworkpolicies", "ciliumendpoints", "pods"), "", "empire");
    // the identity outlives its last pod by the lab's identity GC grace period (10 s), then goes
    long gcDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!lab.kubectl("get", "ciliumidentities", "-l", "io.kubernetes.pod.namespace=empire", "-o", "name").out().isBlank()) {
      assertThat(System.nanoTime()).as("the namespace's identity collected within 90 s").isLessThan(gcDeadline);
      Thread.sleep(1000);
    }
  }

  private static void awaitGone(List<String> kinds, String namePrefix, String namespace) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      List<String> left = new ArrayList<>();
      for (String kind : kinds) {
        lab.kubectl("get", kind, "-n", namespace, "-o", "name").out().lines()
            .filter(l -> l.substring(l.indexOf('/') + 1).startsWith(namePrefix)).forEach(left::add);
      }
      if (left.isEmpty()) {
        return;
      }
      assertThat(System.nanoTime()).as("still there after 90 s: " + left).isLessThan(deadline);
      Thread.sleep(500);
    }
  }
}
