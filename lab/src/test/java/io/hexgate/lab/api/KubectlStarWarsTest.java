package io.hexgate.lab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.hexgate.operator.RepoRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock kubectl against the lab API with Cilium's Star Wars demo files exactly as published: each test
 * works in a namespace of its own on one server.
 */
class KubectlStarWarsTest extends WithLabApiServer {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir static Path dir;
  private static Kubectl kubectl;

  @BeforeAll
  static void findKubectl() {
    kubectl = Kubectl.find(api.writeKubeconfig(dir.resolve("kubeconfig")), dir);
  }

  private Kubectl.Result k(String... args) {
    String[] withNs = new String[args.length + 2];
    withNs[0] = "-n";
    withNs[1] = ns;
    System.arraycopy(args, 0, withNs, 2, args.length);
    return kubectl.run(withNs);
  }

  private static String file(String name) {
    return RepoRoot.starWars(name).toString();
  }

  private void applyDemo() {
    k("apply", "-f", file("http-sw-app.yaml")).ok();
    k("apply", "-f", file("sw_l3_l4_policy.yaml")).ok();
  }

  @Test
  void appliesTheStarWarsFilesUnchangedAndListsThemAsAClusterWould() {
    Kubectl.Result app = k("apply", "-f", file("http-sw-app.yaml")).ok();
    assertThat(app.out()).contains("service/deathstar created", "deployment.apps/deathstar created",
        "pod/tiefighter created", "pod/xwing created");
    assertThat(app.err()).isEmpty();
    assertThat(k("apply", "-f", file("sw_l3_l4_policy.yaml")).ok().out())
        .contains("ciliumnetworkpolicy.cilium.io/rule1 created");

    String listed = k("get", "cnp,cep").ok().out();
    assertThat(listed).containsPattern("NAME +VALID +ENFORCING +AGE").contains("ciliumnetworkpolicy.cilium.io/rule1");
    String services = k("get", "svc", "deathstar").ok().out();
    assertThat(services).containsPattern("deathstar +ClusterIP +10\\.96\\.\\d+\\.\\d+ +<none> +80/TCP");
    assertThat(k("get", "deploy,pods").ok().out())
        .containsPattern("deployment.apps/deathstar +0/2").containsPattern("pod/xwing +0/1 +Pending");
    assertThat(k("get", "pods", "-l", "org=empire", "-o", "name").ok().out().trim()).isEqualTo("pod/tiefighter");
  }

  @Test
  void printsThePolicyAsYamlAndJsonAndDescribesIt() throws IOException {
    applyDemo();
    JsonNode published = YAML.readTree(Files.readString(RepoRoot.starWars("sw_l3_l4_policy.yaml")));
    JsonNode asYaml = YAML.readTree(k("get", "cnp", "rule1", "-o", "yaml").ok().out());
    assertThat(asYaml.path("spec")).isEqualTo(published.path("spec"));
    assertThat(asYaml.path("metadata").path("namespace").asText()).isEqualTo(ns);
    assertThat(asYaml.path("metadata").path("generation").asInt()).isEqualTo(1);
    assertThat(asYaml.path("metadata").path("uid").asText()).isNotEmpty();
    JsonNode asJson = new ObjectMapper().readTree(k("get", "ciliumnetworkpolicy", "rule1", "-o", "json").ok().out());
    assertThat(asJson.path("spec")).isEqualTo(published.path("spec"));

    String described = k("describe", "cnp", "rule1").ok().out();
    assertThat(described)
        .containsPattern("Name: +rule1")
        .containsPattern("Namespace: +" + ns)
        .containsPattern("Kind: +CiliumNetworkPolicy")
        .containsPattern("Description: +L3-L4 policy to restrict deathstar access to empire ships only")
        .contains("Events:");
  }

  @Test
  void reappliesUnchangedThenConfiguresTheL7Policy() throws IOException {
    applyDemo();
    assertThat(k("apply", "-f", file("http-sw-app.yaml")).ok().out())
        .contains("service/deathstar unchanged", "deployment.apps/deathstar unchanged");
    Kubectl.Result l7 = k("apply", "-f", file("sw_l3_l4_l7_policy.yaml")).ok();
    assertThat(l7.out()).contains("ciliumnetworkpolicy.cilium.io/rule1 configured");
    JsonNode rule1 = YAML.readTree(k("get", "cnp", "rule1", "-o", "yaml").ok().out());
    assertThat(rule1.path("metadata").path("generation").asInt()).isEqualTo(2);
    assertThat(rule1.at("/spec/ingress/0/toPorts/0/rules/http/0/path").asText()).isEqualTo("/v1/request-landing");
  }

  @Test
  void changesABuiltInByStrategicMergeAndScalesIt() throws IOException {
    applyDemo();
    Path changed = dir.resolve(ns + "-app.yaml");
    Files.writeString(changed, Files.readString(RepoRoot.starWars("http-sw-app.yaml")).replace("replicas: 2", "replicas: 3"));
    Kubectl.Result applied = k("apply", "-f", changed.toString()).ok();
    assertThat(applied.out()).contains("deployment.apps/deathstar configured");
    assertThat(applied.err()).isEmpty(); // no warning about computing the strategic merge patch
    assertThat(k("get", "deploy", "deathstar", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].name}")
        .ok().out()).isEqualTo("3 deathstar");
    assertThat(k("scale", "deploy", "deathstar", "--replicas=1").ok().out()).contains("deployment.apps/deathstar scaled");
    assertThat(k("get", "deploy", "deathstar", "-o", "jsonpath={.spec.replicas}").ok().out()).isEqualTo("1");
  }

  @Test
  void rejectsAMalformedPolicyWithTheFieldPathAndCreatesNothing() throws IOException {
    Path bad = dir.resolve(ns + "-bad.yaml");
    Files.writeString(bad, """
        apiVersion: "cilium.io/v2"
        kind: CiliumNetworkPolicy
        metadata:
          name: "bad"
        spec:
          endpointSelector:
            matchLabels:
              org: empire
          ingress:
          - toPorts:
            - ports:
              - port: "80"
                protocol: HTTP
        """);
    Kubectl.Result r = k("apply", "-f", bad.toString());
    assertThat(r.exit()).isNotZero();
    assertThat(r.err())
        .contains("The CiliumNetworkPolicy \"bad\" is invalid")
        .contains("spec.ingress[0].toPorts[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: ");
    Kubectl.Result get = k("get", "cnp", "bad");
    assertThat(get.exit()).isNotZero();
    assertThat(get.err()).contains("ciliumnetworkpolicies.cilium.io \"bad\" not found");
  }

  @Test
  void rejectsFieldsTheSchemaDoesNotDeclare() throws IOException {
    Path bad = dir.resolve(ns + "-unknown.yaml");
    Files.writeString(bad, """
        apiVersion: "cilium.io/v2"
        kind: CiliumNetworkPolicy
        description: "outside spec"
        metadata:
          name: "stray"
        spec:
          endpointSelector: {}
          ingres: []
        """);
    Kubectl.Result r = k("apply", "-f", bad.toString());
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("strict decoding error: unknown field \"description\", unknown field \"spec.ingres\"");
    assertThat(k("get", "cnp").ok().err()).contains("No resources found");
  }

  @Test
  void deletesWhatItApplied() {
    applyDemo();
    assertThat(k("delete", "-f", file("http-sw-app.yaml")).ok().out())
        .contains("service \"deathstar\" deleted", "deployment.apps \"deathstar\" deleted", "pod \"xwing\" deleted");
    assertThat(k("delete", "-f", file("sw_l3_l4_policy.yaml")).ok().out())
        .contains("ciliumnetworkpolicy.cilium.io \"rule1\" deleted");
    assertThat(k("get", "all,cnp").ok().err()).contains("No resources found");
  }

  @Test
  void takesTheProtobufBodiesOfKubectlsImperativeCreates() {
    String other = ns + "-made";
    assertThat(kubectl.run("create", "namespace", other).ok().out()).contains("namespace/" + other + " created");
    kubectl.run("-n", other, "create", "configmap", "settings", "--from-literal=mode=strict").ok();
    kubectl.run("-n", other, "create", "secret", "generic", "token", "--from-literal=key=s3cret").ok();
    assertThat(kubectl.run("-n", other, "get", "configmap", "settings", "-o", "jsonpath={.data.mode}").ok().out())
        .isEqualTo("strict");
    assertThat(kubectl.run("-n", other, "get", "secret", "token", "-o", "jsonpath={.type} {.data.key}").ok().out())
        .isEqualTo("Opaque " + java.util.Base64.getEncoder().encodeToString("s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertThat(kubectl.run("auth", "can-i", "create", "pods").ok().out().trim()).isEqualTo("yes");
    Kubectl.Result deployment = kubectl.run("-n", other, "create", "deployment", "web", "--image=nginx");
    assertThat(deployment.exit()).isNotZero();
    assertThat(deployment.err()).contains("reads Deployment objects in JSON or YAML only");
  }

  @Test
  void streamsChangesToAWatchingKubectl() {
    applyDemo();
    Kubectl.Result watched = kubectl.runWhile(printed -> {
      // the watch starts from the list's resourceVersion, so changes made right after the list are seen
      await().atMost(Duration.ofSeconds(30)).until(() -> printed.get().contains("xwing"));
      k("label", "pod", "xwing", "seen=yes").ok();
      k("delete", "pod", "tiefighter").ok();
      sleep(1500);
    }, "-n", ns, "get", "pods", "--watch");
    assertThat(watched.out().lines().filter(l -> l.startsWith("xwing"))).hasSizeGreaterThanOrEqualTo(2);
    assertThat(watched.out().lines().filter(l -> l.startsWith("tiefighter"))).hasSizeGreaterThanOrEqualTo(2);
    assertThat(watched.out()).containsPattern("xwing +0/1 +Pending");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void waitsForAChangeThroughItsWatch() throws InterruptedException {
    applyDemo();
    Thread patcher = new Thread(() -> {
      try {
        Thread.sleep(1500);
      } catch (InterruptedException e) {
        return;
      }
      k("label", "cnp", "rule1", "reviewed=yes").ok();
    });
    patcher.start();
    Kubectl.Result waited = k("wait", "--for=jsonpath={.metadata.labels.reviewed}=yes", "cnp/rule1", "--timeout=30s");
    patcher.join();
    assertThat(waited.ok().out()).contains("ciliumnetworkpolicy.cilium.io/rule1 condition met");
  }
}
