package io.hexgate.lab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The API server semantics clients rely on, seen through a fabric8 client and plain HTTP. */
class LabApiServerTest extends WithLabApiServer {
  private static final ResourceDefinitionContext CNP = new ResourceDefinitionContext.Builder()
      .withGroup("cilium.io").withVersion("v2").withKind("CiliumNetworkPolicy").withPlural("ciliumnetworkpolicies")
      .withNamespaced(true).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();

  private GenericKubernetesResource cnp(String name, String yamlSpec) {
    return kube.getKubernetesSerialization().unmarshal("""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: %s, namespace: %s}
        spec:
        %s
        """.formatted(name, ns, yamlSpec.indent(2)), GenericKubernetesResource.class);
  }

  private GenericKubernetesResource rule1() {
    return cnp("rule1", """
        endpointSelector: {matchLabels: {org: empire, class: deathstar}}
        ingress:
        - fromEndpoints: [{matchLabels: {org: empire}}]
          toPorts: [{ports: [{port: "80", protocol: TCP}]}]
        """);
  }

  private JsonNode get(String path, String accept) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api.url() + path)).header("Accept", accept).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  @Test
  void writesStatusOnlyThroughTheSubresourceAndCountsGenerationsBySpec() {
    GenericKubernetesResource created = kube.resource(rule1()).create();
    assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
    created.setAdditionalProperty("status", Map.of("conditions", List.of(Map.of("type", "Valid", "status", "True"))));
    GenericKubernetesResource withStatus = kube.genericKubernetesResources(CNP).inNamespace(ns).resource(created).updateStatus();
    assertThat(withStatus.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(withStatus.getMetadata().getResourceVersion()).isNotEqualTo(created.getMetadata().getResourceVersion());

    // a write to the main resource keeps the stored status and, changing the spec, bumps the generation
    withStatus.setAdditionalProperty("status", Map.of("conditions", List.of()));
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) withStatus.getAdditionalProperties().get("spec");
    spec.put("description", "changed");
    GenericKubernetesResource updated = kube.genericKubernetesResources(CNP).inNamespace(ns).resource(withStatus).update();
    assertThat(updated.getMetadata().getGeneration()).isEqualTo(2L);
    assertThat(updated.get("status", "conditions", 0, "type").toString()).isEqualTo("Valid");

    // a stale resourceVersion is a conflict, as the operator's retries expect
    assertThatThrownBy(() -> kube.genericKubernetesResources(CNP).inNamespace(ns).resource(withStatus).update())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  @Test
  void rejectsASchemaViolationWithEveryFieldPathAsACause() {
    GenericKubernetesResource bad = cnp("bad", """
        endpointSelector: {matchLabels: {org: empire}}
        ingress:
        - toPorts: [{ports: [{port: "-80", protocol: TCP}]}]
          icmps: [{fields: [{family: IPv5, type: 8}]}]
        """);
    assertThatThrownBy(() -> kube.resource(bad).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getMessage()).startsWith("CiliumNetworkPolicy.cilium.io \"bad\" is invalid: [");
          assertThat(e.getStatus().getDetails().getCauses()).extracting(StatusCause::getField)
              .containsExactlyInAnyOrder("spec.ingress[0].icmps[0].fields[0].family", "spec.ingress[0].toPorts[0].ports[0].port");
          assertThat(e.getStatus().getDetails().getCauses()).filteredOn(c -> c.getField().endsWith(".port"))
              .extracting(StatusCause::getMessage).singleElement().asString().startsWith("Invalid value: \"-80\": spec.ingress[0].toPorts[0].ports[0].port in body should match '");
        });
    assertThat(kube.genericKubernetesResources(CNP).inNamespace(ns).withName("bad").get()).isNull();
  }

  @Test
  void evaluatesTheCrdsFieldPresenceRules() {
    GenericKubernetesResource empty = kube.getKubernetesSerialization().unmarshal(
        "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: empty, namespace: " + ns + "}\n",
        GenericKubernetesResource.class);
    assertThatThrownBy(() -> kube.resource(empty).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getStatus().getMessage()).isEqualTo("CiliumNetworkPolicy.cilium.io \"empty\" is invalid: "
              + "<nil>: Invalid value: \"object\": spec or specs must be provided");
        });
  }

  @Test
  void prunesUndeclaredFieldsUnlessStrict() {
    GenericKubernetesResource loose = cnp("loose", """
        endpointSelector: {}
        colour: blue
        """);
    GenericKubernetesResource stored = kube.resource(loose).create();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) stored.getAdditionalProperties().get("spec");
    assertThat(spec).containsOnlyKeys("endpointSelector");
  }

  @Test
  void patchesByJsonPatchMergePatchAndStrategicMerge() {
    kube.resource(rule1()).create();
    kube.genericKubernetesResources(CNP).inNamespace(ns).withName("rule1")
        .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"add\",\"path\":\"/spec/description\",\"value\":\"json\"}]");
    kube.genericKubernetesResources(CNP).inNamespace(ns).withName("rule1")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"team\":\"empire\"}}}");
    GenericKubernetesResource r = kube.genericKubernetesResources(CNP).inNamespace(ns).withName("rule1").get();
    assertThat(r.get("spec", "description").toString()).isEqualTo("json");
    assertThat(r.getMetadata().getLabels()).containsEntry("team", "empire");
    assertThat(r.getMetadata().getGeneration()).isEqualTo(2L);

    Deployment d = kube.resource(deployment("web")).create();
    kube.apps().deployments().inNamespace(ns).withName("web").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"sidecar\",\"image\":\"proxy\"}]}}}}");
    Deployment patched = kube.apps().deployments().inNamespace(ns).withName("web").get();
    assertThat(patched.getSpec().getTemplate().getSpec().getContainers()).extracting(c -> c.getName())
        .containsExactly("web", "sidecar");
    assertThat(patched.getMetadata().getGeneration()).isEqualTo(d.getMetadata().getGeneration() + 1);
    // strategic merge is for built-in types only, as on a cluster
    assertThatThrownBy(() -> kube.genericKubernetesResources(CNP).inNamespace(ns).withName("rule1")
        .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), "{\"spec\":{}}"))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(415));
  }

  private Deployment deployment(String name) {
    return new DeploymentBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", name).endSelector()
        .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
        .withNewSpec().addNewContainer().withName(name).withImage("nginx").endContainer().endSpec().endTemplate()
        .endSpec().build();
  }

  @Test
  void collectsDependentsByOwnerReferenceWhenTheOwnerGoes() {
    Deployment d = kube.resource(deployment("web")).create();
    ReplicaSet rs = kube.resource(new ReplicaSetBuilder().withNewMetadata().withName("web-abc").withNamespace(ns)
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("Deployment")
            .withName("web").withUid(d.getMetadata().getUid()).withController(true).build())
        .endMetadata().withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", "web").endSelector()
        .endSpec().build()).create();
    kube.resource(new PodBuilder().withNewMetadata().withName("web-abc-x").withNamespace(ns)
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("ReplicaSet")
            .withName("web-abc").withUid(rs.getMetadata().getUid()).withController(true).build())
        .endMetadata().withNewSpec().addNewContainer().withName("web").withImage("nginx").endContainer().endSpec()
        .build()).create();
    kube.resource(new ConfigMapBuilder().withNewMetadata().withName("unowned").withNamespace(ns).endMetadata().build()).create();

    kube.apps().deployments().inNamespace(ns).withName("web").delete();
    assertThat(kube.apps().replicaSets().inNamespace(ns).list().getItems()).isEmpty();
    assertThat(kube.pods().inNamespace(ns).list().getItems()).isEmpty();
    assertThat(kube.configMaps().inNamespace(ns).withName("unowned").get()).isNotNull();

    kube.namespaces().withName(ns).delete();
    assertThat(kube.configMaps().inNamespace(ns).list().getItems()).isEmpty();
    assertThat(kube.namespaces().withName(ns).get()).isNull();
  }

  @Test
  void holdsObjectsWithFinalizersUntilTheLastOneIsRemoved() {
    ConfigMap cm = kube.resource(new ConfigMapBuilder().withNewMetadata().withName("held").withNamespace(ns)
        .withFinalizers("lab.hexgate.io/test").endMetadata().build()).create();
    kube.configMaps().inNamespace(ns).withName("held").delete();
    ConfigMap marked = kube.configMaps().inNamespace(ns).withName("held").get();
    assertThat(marked.getMetadata().getDeletionTimestamp()).isNotNull();
    marked.getMetadata().setFinalizers(List.of());
    kube.resource(marked).update();
    assertThat(kube.configMaps().inNamespace(ns).withName("held").get()).isNull();
    assertThat(cm.getMetadata().getUid()).isNotEmpty();
  }

  @Test
  void streamsChangesToWatchers() {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (var watch = kube.configMaps().inNamespace(ns).watch(new Watcher<ConfigMap>() {
      @Override
      public void eventReceived(Action action, ConfigMap cm) {
        seen.add(action + " " + cm.getMetadata().getName());
      }

      @Override
      public void onClose(WatcherException cause) {}
    })) {
      kube.resource(new ConfigMapBuilder().withNewMetadata().withName("w").withNamespace(ns).endMetadata()
          .addToData("a", "1").build()).create();
      kube.configMaps().inNamespace(ns).withName("w").edit(c -> new ConfigMapBuilder(c).addToData("b", "2").build());
      kube.configMaps().inNamespace(ns).withName("w").delete();
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 3);
      assertThat(seen).containsExactly("ADDED w", "MODIFIED w", "DELETED w");
    }
  }

  @Test
  void selectsByLabelSetsAndByAnyField() {
    for (String[] p : new String[][] {{"a", "empire", "node-1"}, {"b", "alliance", "node-2"}, {"c", "empire", "node-2"}}) {
      kube.resource(new PodBuilder().withNewMetadata().withName(p[0]).withNamespace(ns).addToLabels("org", p[1]).endMetadata()
          .withNewSpec().withNodeName(p[2]).addNewContainer().withName("c").withImage("i").endContainer().endSpec().build())
          .create();
    }
    assertThat(kube.pods().inNamespace(ns).withLabelIn("org", "empire", "rebels").list().getItems())
        .extracting(pod -> pod.getMetadata().getName()).containsExactly("a", "c");
    assertThat(kube.pods().inNamespace(ns).withField("spec.nodeName", "node-2").withLabel("org", "empire").list().getItems())
        .extracting(pod -> pod.getMetadata().getName()).containsExactly("c");
    Pod a = kube.pods().inNamespace(ns).withName("a").get();
    assertThat(a.getStatus().getPhase()).isEqualTo("Pending");
  }

  @Test
  void bindsPodsToNodesOnceAsASchedulerWould() {
    kube.resource(new PodBuilder().withNewMetadata().withName("p").withNamespace(ns).endMetadata()
        .withNewSpec().addNewContainer().withName("c").withImage("i").endContainer().endSpec().build()).create();
    kube.bindings().inNamespace(ns).resource(new BindingBuilder().withNewMetadata().withName("p").endMetadata()
        .withNewTarget().withKind("Node").withName("node-1").endTarget().build()).create();
    Pod bound = kube.pods().inNamespace(ns).withName("p").get();
    assertThat(bound.getSpec().getNodeName()).isEqualTo("node-1");
    assertThat(bound.getStatus().getConditions()).extracting(c -> c.getType()).contains("PodScheduled");
    assertThatThrownBy(() -> kube.bindings().inNamespace(ns).resource(new BindingBuilder().withNewMetadata()
        .withName("p").endMetadata().withNewTarget().withKind("Node").withName("node-2").endTarget().build()).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  @Test
  void givesServicesClusterIpsFromTheRangeAndTakesThemBack() {
    Service s1 = kube.resource(service("one")).create();
    Service s2 = kube.resource(service("two")).create();
    assertThat(s1.getSpec().getClusterIP()).startsWith("10.96.").isNotEqualTo(s2.getSpec().getClusterIP());
    assertThat(s1.getSpec().getPorts().get(0).getTargetPort().getIntVal()).isEqualTo(80);
    kube.resource(s1).delete();
    Service s3 = kube.resource(service("three")).create();
    assertThat(s3.getSpec().getClusterIP()).isEqualTo(s1.getSpec().getClusterIP());
  }

  private Service service(String name) {
    return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().addToSelector("app", name).addNewPort().withPort(80).endPort().endSpec().build();
  }

  @Test
  void answersTablesWithTheCrdPrinterColumns() throws Exception {
    GenericKubernetesResource created = kube.resource(rule1()).create();
    created.setAdditionalProperty("status", Map.of(
        "conditions", List.of(Map.of("type", "Enforced", "status", "False"), Map.of("type", "Valid", "status", "True")),
        "enforcement", Map.of("nodes", "2/2")));
    kube.genericKubernetesResources(CNP).inNamespace(ns).resource(created).updateStatus();
    JsonNode table = get("/apis/cilium.io/v2/namespaces/" + ns + "/ciliumnetworkpolicies",
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
    assertThat(table.path("kind").asText()).isEqualTo("Table");
    assertThat(table.path("columnDefinitions").findValuesAsText("name")).containsExactly("Name", "Valid", "Enforcing", "Age");
    JsonNode cells = table.path("rows").get(0).path("cells");
    assertThat(cells.get(0).asText()).isEqualTo("rule1");
    assertThat(cells.get(1).asText()).isEqualTo("True");
    assertThat(cells.get(2).asText()).isEqualTo("2/2");
    assertThat(cells.get(3).asText()).matches("\\d+s");
    assertThat(table.path("rows").get(0).path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
  }

  @Test
  void servesDiscoveryAndOpenApiThatDeclareFieldValidation() throws Exception {
    JsonNode cilium = get("/apis/cilium.io/v2", "application/json");
    JsonNode cnp = null;
    for (JsonNode r : cilium.path("resources")) {
      if (r.path("name").asText().equals("ciliumnetworkpolicies")) {
        cnp = r;
      }
    }
    assertThat(cnp).isNotNull();
    assertThat(cnp.path("shortNames").toString()).contains("\"cnp\"");
    assertThat(cnp.path("categories").toString()).contains("\"cilium\"");
    assertThat(cnp.path("namespaced").asBoolean()).isTrue();
    assertThat(cnp.path("verbs").toString()).contains("\"patch\"", "\"watch\"");

    JsonNode root = get("/openapi/v3", "application/json");
    String url = root.path("paths").path("apis/cilium.io/v2").path("serverRelativeURL").asText();
    JsonNode doc = get(url, "application/json");
    JsonNode patch = doc.path("paths").path("/apis/cilium.io/v2/namespaces/{namespace}/ciliumnetworkpolicies/{name}").path("patch");
    assertThat(patch.path("x-kubernetes-group-version-kind").path("kind").asText()).isEqualTo("CiliumNetworkPolicy");
    assertThat(patch.path("parameters").findValuesAsText("name")).contains("fieldValidation");
  }
}
