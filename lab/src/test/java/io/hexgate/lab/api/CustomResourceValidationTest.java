package io.hexgate.lab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CRD applied with kubectl at run time, whose schema uses the structural features the API server
 * enforces: its objects are defaulted, validated field by field and listed with its printer columns.
 */
class CustomResourceValidationTest {
  private static final String CRD = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata: {name: widgets.test.hexgate.io}
      spec:
        group: test.hexgate.io
        names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
        scope: Namespaced
        versions:
        - name: v1
          served: true
          storage: true
          subresources: {status: {}}
          additionalPrinterColumns:
          - {name: Size, type: integer, jsonPath: .spec.size}
          - {name: First-Tag, type: string, jsonPath: ".spec.tags[0]"}
          - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  required: [size]
                  properties:
                    size: {type: integer, minimum: 1, maximum: 10}
                    colour: {type: string, enum: [red, blue], default: red}
                    port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                    name: {type: string, maxLength: 5, pattern: "^[a-z]+$"}
                    note: {type: string, nullable: true}
                    tags: {type: array, items: {type: string}, x-kubernetes-list-type: set, maxItems: 3}
                    labels: {type: object, additionalProperties: {type: string}}
                    free: {type: object, x-kubernetes-preserve-unknown-fields: true}
                status:
                  type: object
                  properties:
                    ready: {type: boolean}
      """;
  private static final ResourceDefinitionContext WIDGETS = new ResourceDefinitionContext.Builder()
      .withGroup("test.hexgate.io").withVersion("v1").withKind("Widget").withPlural("widgets").withNamespaced(true).build();

  @TempDir static Path dir;
  private static LabApiServer api;
  private static KubernetesClient kube;
  private static Kubectl kubectl;

  @BeforeAll
  static void start() throws Exception {
    api = LabApiServer.start(0, List.of());
    kube = api.client();
    kubectl = Kubectl.find(api.writeKubeconfig(dir.resolve("kubeconfig")), dir);
    Path crd = dir.resolve("crd.yaml");
    Files.writeString(crd, CRD);
    kubectl.run("apply", "-f", crd.toString()).ok();
    kubectl.run("wait", "--for=condition=Established", "crd/widgets.test.hexgate.io", "--timeout=30s").ok();
  }

  @AfterAll
  static void stop() {
    if (api != null) {
      api.close();
    }
  }

  private GenericKubernetesResource widget(String name, String spec) {
    return kube.getKubernetesSerialization().unmarshal("""
        apiVersion: test.hexgate.io/v1
        kind: Widget
        metadata: {name: %s, namespace: default}
        spec:
        %s
        """.formatted(name, spec.indent(2)), GenericKubernetesResource.class);
  }

  private static List<String> causes(Runnable create) {
    try {
      create.run();
    } catch (KubernetesClientException e) {
      assertThat(e.getCode()).isEqualTo(422);
      return e.getStatus().getDetails().getCauses().stream().map(c -> c.getField() + ": " + c.getMessage()).toList();
    }
    throw new AssertionError("the object was accepted");
  }

  @Test
  void defaultsAndKeepsWhatTheSchemaAllows() {
    GenericKubernetesResource w = kube.resource(widget("ok", """
        size: 3
        port: http
        note: null
        tags: [a, b]
        labels: {tier: front}
        free: {anything: {goes: [1, 2]}}
        """)).create();
    assertThat(w.get("spec", "colour").toString()).isEqualTo("red");
    assertThat(w.get("spec", "port").toString()).isEqualTo("http");
    assertThat(w.<Object>get("spec", "free", "anything", "goes", 1)).isEqualTo(2);
    GenericKubernetesResource numeric = kube.resource(widget("numeric", "size: 10\nport: 8080")).create();
    assertThat(numeric.<Object>get("spec", "port")).isEqualTo(8080);

    String table = kubectl.run("get", "wd").ok().out();
    assertThat(table).containsPattern("NAME +SIZE +FIRST-TAG +AGE").containsPattern("ok +3 +a +\\d+s")
        .containsPattern("numeric +10 +\\d+s");
  }

  @Test
  void reportsEachViolationAtItsField() {
    assertThat(causes(() -> kube.resource(widget("bad1", """
        size: 0
        colour: green
        port: true
        name: ABCDEFG
        tags: [a, a]
        labels: {tier: 1}
        """)).create()))
        .containsExactlyInAnyOrder(
            "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1",
            "spec.colour: Unsupported value: \"green\": supported values: \"red\", \"blue\"",
            "spec.port: Invalid value: true: spec.port in body must be of type integer,string: true",
            "spec.name: Too long: may not be more than 5 bytes",
            "spec.name: Invalid value: \"ABCDEFG\": spec.name in body should match '^[a-z]+$'",
            "spec.tags[1]: Duplicate value: \"a\"",
            "spec.labels.tier: Invalid value: 1: spec.labels.tier in body must be of type string: 1");
    assertThat(causes(() -> kube.resource(widget("bad2", "colour: blue")).create()))
        .containsExactly("spec.size: Required value");
    assertThat(causes(() -> kube.resource(widget("bad3", "size: 11\ntags: [a, b, c, d]")).create()))
        .containsExactlyInAnyOrder(
            "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10",
            "spec.tags: Too many: 4: must have at most 3 items");
    assertThat(kube.genericKubernetesResources(WIDGETS).inNamespace("default").list().getItems())
        .extracting(r -> r.getMetadata().getName()).doesNotContain("bad1", "bad2", "bad3");
  }

  @Test
  void validatesStatusWrites() {
    GenericKubernetesResource w = kube.resource(widget("stat", "size: 2")).create();
    w.setAdditionalProperty("status", Map.of("ready", "yes"));
    assertThatThrownBy(() -> kube.genericKubernetesResources(WIDGETS).inNamespace("default").resource(w).updateStatus())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getStatus().getDetails().getCauses())
            .extracting(StatusCause::getField).containsExactly("status.ready"));
    w.setAdditionalProperty("status", Map.of("ready", true));
    assertThat(kube.genericKubernetesResources(WIDGETS).inNamespace("default").resource(w).updateStatus()
        .<Object>get("status", "ready")).isEqualTo(true);
  }

  @Test
  void stopsServingTheTypeWithItsObjectsWhenTheCrdIsDeleted() throws Exception {
    LabApiServer other = LabApiServer.start(0, List.of());
    try {
      Path home = Files.createDirectories(dir.resolve("other"));
      Kubectl k = Kubectl.find(other.writeKubeconfig(home.resolve("kubeconfig")), home);
      Path crd = home.resolve("crd.yaml");
      Files.writeString(crd, CRD);
      k.run("apply", "-f", crd.toString()).ok();
      KubernetesClient c = other.client();
      c.resource(widget("gone", "size: 1")).create();
      k.run("delete", "crd", "widgets.test.hexgate.io").ok();
      Kubectl.Result r = k.run("get", "widgets");
      assertThat(r.exit()).isNotZero();
      assertThat(r.err()).contains("the server doesn't have a resource type \"widgets\"");
      k.run("apply", "-f", crd.toString()).ok();
      assertThat(c.genericKubernetesResources(WIDGETS).inNamespace("default").list().getItems()).isEmpty();
    } finally {
      other.close();
    }
  }
}
