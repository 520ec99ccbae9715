package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.identity.api.CiliumIdentity;
import io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.hexgate.operator.tls.CertificateAuthority;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The shipped RBAC (config/rbac) is least-privilege: a run of the real operator doing what the other
 * operator tests do (namespaces, pods, every policy kind, CiliumEndpoints, identity allocation and GC,
 * policy status, the leader Lease, the CA Secret) is recorded at the mock API server, each request mapped
 * to (apiGroup, resource[/subresource], verb), and compared with the rules: nothing used may be missing,
 * nothing granted may go unused.
 */
class LeastPrivilegeTest {
  private static final String AGENT = "hexgate-operator-under-test";

  /** One permission: "group resource[/sub] verb", with "" for the core group; namespaced ones in the Role. */
  record Grant(String group, String resource, String verb) implements Comparable<Grant> {
    @Override
    public int compareTo(Grant o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return (group.isEmpty() ? "core" : group) + " " + resource + " " + verb;
    }
  }

  @Test
  void shouldGrantExactlyWhatTheOperatorUses() throws Exception {
    Set<Grant> clusterUsed = new TreeSet<>();
    Set<Grant> namespaceUsed = new TreeSet<>();
    String operatorNamespace;
    try (MockApi api = new MockApi()) {
      KubernetesClient kube = api.client();
      KubernetesClient operatorClient = api.client(AGENT);
      operatorNamespace = operatorClient.getNamespace();
      runRepresentativeWorkload(api, kube, operatorClient);
      for (RecordedRequest r : api.takeRequests()) {
        if (!AGENT.equals(r.getHeader("User-Agent"))) {
          continue;
        }
        Request req = Request.parse(r.getMethod(), r.getPath());
        if (req == null) {
          continue; // a non-resource URL such as /version: open to every authenticated user
        }
        if (req.grant.resource().startsWith("selfsubject")) {
          continue; // self reviews: granted to every authenticated user by Kubernetes' system:basic-user
        }
        (operatorNamespace.equals(req.namespace) ? namespaceUsed : clusterUsed).add(req.grant);
      }
    }
    // java-operator-sdk's LeaderElectionManager checks, through a SelfSubjectRulesReview, that it may
    // create, update and get leases before it campaigns; fabric8's elector then renews with patch. The
    // update is needed for that check although no request uses it.
    namespaceUsed.add(new Grant("coordination.k8s.io", "leases", "update"));
    Set<Grant> clusterGranted = grants(manifest("hexgate-operator.clusterrole.yaml"));
    Set<Grant> namespaceGranted = grants(manifest("hexgate-operator.role.yaml"));

    // What the operator does in its own namespace (Lease, CA Secret) may come from either role; the Role
    // must not grant what is granted cluster-wide already.
    Set<Grant> namespaceOnly = new TreeSet<>(namespaceUsed);
    namespaceOnly.removeAll(clusterGranted);
    Set<Grant> used = new TreeSet<>(clusterUsed);
    used.addAll(namespaceUsed);
    Set<Grant> granted = new TreeSet<>(clusterGranted);
    granted.addAll(namespaceGranted);

    Set<Grant> missing = new TreeSet<>(clusterUsed);
    missing.removeAll(clusterGranted);
    Set<Grant> missingInNamespace = new TreeSet<>(namespaceOnly);
    missingInNamespace.removeAll(namespaceGranted);
    missing.addAll(missingInNamespace);
    Set<Grant> unused = new TreeSet<>(granted);
    unused.removeAll(used);
    Set<Grant> roleBeyondNamespace = new TreeSet<>(namespaceGranted);
    roleBeyondNamespace.removeAll(namespaceOnly);

    assertThat(missing).as("used but not granted (operator used: %s)", used).isEmpty();
    assertThat(unused).as("granted but never used (operator used: %s)", used).isEmpty();
    assertThat(roleBeyondNamespace).as("in the namespaced Role but not used only in the operator's namespace").isEmpty();
  }

  private static void runRepresentativeWorkload(MockApi api, KubernetesClient kube, KubernetesClient operatorClient)
      throws Exception {
    MutableClock clock = new MutableClock();
    // as hexgate operator runs it: leader election, the agent port with its CA in a Secret, status writes
    HexgateOperator operator =
        HexgateOperator.create(
            OperatorConfig.builder(operatorClient)
                .clock(clock)
                .lease(null, Duration.ofMillis(1500), Duration.ofMillis(1000), Duration.ofMillis(250), "replica-1", false)
                .identityGc(Duration.ofMinutes(1), Duration.ofMillis(100))
                .agents(new AgentEndpoint.Tls(0, "hexgate-ca", List.of("localhost"), CertificateAuthority.LEAF_VALIDITY))
                .status(100, Duration.ofMillis(100))
                .withoutMetrics()
                .withoutRelay()
                .installAgents(new io.hexgate.operator.install.AgentInstall("agent:1", "10.1.0.7", 4250))
                .build());
    String ns = operatorClient.getNamespace();
    var podUid = new java.util.concurrent.atomic.AtomicReference<String>("?"); // the mock gives the pod its uid
    api.answerTokenReviews(spec -> new io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder()
        .withAuthenticated(true)
        .withAudiences("hexgate")
        .withNewUser()
        .withUsername("system:serviceaccount:" + ns + ":hexgate-agent")
        .addToExtra("authentication.kubernetes.io/pod-name", List.of("hexgate-agent-x"))
        .addToExtra("authentication.kubernetes.io/pod-uid", List.of(podUid.get()))
        .endUser()
        .build());
    try {
      operator.start();
      await().atMost(Duration.ofSeconds(10)).until(operator::isLeader);
      kube.resource(new NamespaceBuilder().withNewMetadata().withName("shop").addToLabels("team", "a").endMetadata().build())
          .create();
      kube.resource(HexgateOperatorTest.pod("shop", "web", "10.0.0.1", Map.of("app", "web"))).create();
      kube.resource(HexgateOperatorTest.pod("default", "web", "10.0.0.2", Map.of("app", "web"))).create();
      kube.resource(HexgateOperatorTest.pod("default", "db", "10.0.0.3", Map.of("app", "db"))).create();
      kube.resource(HexgateOperatorTest.cnp("web-ingress", "web", "80")).create();
      kube.resource(
              kube.getKubernetesSerialization()
                  .unmarshal(
                      """
                      apiVersion: cilium.io/v2
                      kind: CiliumClusterwideNetworkPolicy
                      metadata: {name: db-egress}
                      spec:
                        endpointSelector: {matchLabels: {app: db}}
                        egress:
                        - toEndpoints: [{matchLabels: {app: web}}]
                      """,
                      CiliumClusterwideNetworkPolicy.class))
          .create();
      kube.resource(
              kube.getKubernetesSerialization()
                  .unmarshal(
                      """
                      apiVersion: networking.k8s.io/v1
                      kind: NetworkPolicy
                      metadata: {name: db, namespace: default}
                      spec:
                        podSelector: {matchLabels: {app: db}}
                        ingress:
                        - from: [{podSelector: {matchLabels: {app: web}}}]
                      """,
                      NetworkPolicy.class))
          .create();
      await()
          .atMost(Duration.ofSeconds(15))
          .untilAsserted(
              () -> {
                assertThat(kube.resources(CiliumEndpoint.class).inAnyNamespace().list().getItems()).hasSize(3);
                CiliumNetworkPolicy cnp =
                    kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("web-ingress").get();
                assertThat(cnp.getStatus()).isNotNull();
                assertThat(kube.resources(CiliumClusterwideNetworkPolicy.class).withName("db-egress").get().getStatus())
                    .isNotNull();
              });
      // a label change moves the pod to another identity; its old one is marked, then collected
      var db = kube.pods().inNamespace("default").withName("db").get();
      db.getMetadata().getLabels().put("app", "cache");
      kube.resource(db).update();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> kube.resources(CiliumIdentity.class).list().getItems().stream()
              .anyMatch(i -> i.getMetadata().getAnnotations() != null && !i.getMetadata().getAnnotations().isEmpty()));
      clock.advance(Duration.ofMinutes(2));
      int before = kube.resources(CiliumIdentity.class).list().getItems().size();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> kube.resources(CiliumIdentity.class).list().getItems().size() < before);
      // a deleted pod loses its CiliumEndpoint
      kube.pods().inNamespace("shop").withName("web").delete();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> kube.resources(CiliumEndpoint.class).inNamespace("shop").withName("web").get() == null);
      kube.resources(CiliumNetworkPolicy.class).inNamespace("default").withName("web-ingress").delete();
      // the agents deployed from a HexgateConfig, changed, their metrics turned off; one agent bootstraps
      kube.resource(io.hexgate.operator.install.HexgateConfigReconcilerTest.config("default")).create();
      await().atMost(Duration.ofSeconds(15))
          .until(() -> kube.apps().daemonSets().inNamespace(ns).withName("hexgate-agent").get() != null);
      // patches, not updates: the operator writes the status meanwhile
      kube.resources(io.hexgate.operator.install.api.HexgateConfig.class).withName("default").edit(cfg -> {
        cfg.getSpec().agent = new io.hexgate.operator.install.api.AgentSpec();
        cfg.getSpec().agent.logLevel = "debug";
        cfg.getSpec().metrics = new io.hexgate.operator.install.api.MetricsSpec();
        cfg.getSpec().metrics.port = 9964;
        return cfg;
      });
      await().atMost(Duration.ofSeconds(15))
          .until(() -> kube.services().inNamespace(ns).withName("hexgate-agent-metrics").get().getSpec().getPorts().get(0).getPort() == 9964);
      kube.resources(io.hexgate.operator.install.api.HexgateConfig.class).withName("default").edit(cfg -> {
        cfg.getSpec().metrics.enabled = false;
        return cfg;
      });
      await().atMost(Duration.ofSeconds(15))
          .until(() -> kube.services().inNamespace(ns).withName("hexgate-agent-metrics").get() == null);
      podUid.set(kube.resource(io.hexgate.operator.tls.BootstrapFixtures.agentPod(ns, "hexgate-agent-x", null, "node-a"))
          .create().getMetadata().getUid());
      assertThat(io.hexgate.operator.tls.BootstrapFixtures.bootstrap(operator.agentService(), "node-a", "token"))
          .as("bootstrap answer").startsWith("-----BEGIN CERTIFICATE-----");
      Thread.sleep(500);
    } finally {
      operator.stop();
    }
  }

  /** A request as (namespace, grant); null for non-resource URLs. */
  record Request(String namespace, Grant grant) {
    static Request parse(String method, String pathAndQuery) {
      int q = pathAndQuery.indexOf('?');
      String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
      String query = q < 0 ? "" : pathAndQuery.substring(q + 1);
      String[] p = path.replaceAll("^/+", "").split("/");
      String group;
      int i;
      if (p.length >= 3 && p[0].equals("api")) {
        group = "";
        i = 2;
      } else if (p.length >= 4 && p[0].equals("apis")) {
        group = p[1];
        i = 3;
      } else {
        return null;
      }
      String namespace = null;
      if (p.length - i >= 3 && p[i].equals("namespaces")) {
        namespace = p[i + 1];
        i += 2;
      }
      String resource = p[i];
      String name = p.length > i + 1 ? p[i + 1] : null;
      String sub = p.length > i + 2 ? p[i + 2] : null;
      boolean watch = List.of(query.split("&")).contains("watch=true") || List.of(query.split("&")).contains("watch=1");
      String verb;
      switch (method) {
        case "GET":
          verb = watch ? "watch" : name == null ? "list" : "get";
          break;
        case "POST":
          verb = "create";
          break;
        case "PUT":
          verb = "update";
          break;
        case "PATCH":
          verb = "patch";
          break;
        case "DELETE":
          verb = name == null ? "deletecollection" : "delete";
          break;
        default:
          verb = method.toLowerCase(java.util.Locale.ROOT);
      }
      return new Request(namespace, new Grant(group, sub == null ? resource : resource + "/" + sub, verb));
    }
  }

  private static JsonNode manifest(String file) throws IOException {
    Path f = RepoRoot.find().resolve("config/rbac").resolve(file);
    return new ObjectMapper(new YAMLFactory()).readTree(f.toFile());
  }

  private static Set<Grant> grants(JsonNode role) {
    Set<Grant> out = new TreeSet<>();
    for (JsonNode rule : role.path("rules")) {
      for (JsonNode g : rule.path("apiGroups")) {
        for (JsonNode r : rule.path("resources")) {
          for (JsonNode v : rule.path("verbs")) {
            out.add(new Grant(g.asText(), r.asText(), v.asText()));
          }
        }
      }
    }
    return out;
  }
}
