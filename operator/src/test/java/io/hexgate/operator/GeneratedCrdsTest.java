package io.hexgate.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The generated CRDs carry what reference §1 lists for each kind, with typed, structural schemas. */
class GeneratedCrdsTest {
  private static final String VALID = ".status.conditions[?(@.type=='Valid')].status";
  private static final String ENFORCING = ".status.enforcement.nodes";

  @Test
  void cnp() {
    CustomResourceDefinition crd = load("ciliumnetworkpolicies.cilium.io");
    assertNames(crd, "CiliumNetworkPolicy", "ciliumnetworkpolicy", "Namespaced", "cnp", "ciliumnp");
    assertThat(crd.getSpec().getNames().getCategories()).containsExactly("cilium", "ciliumpolicy");
    CustomResourceDefinitionVersion v2 = v2(crd);
    assertThat(v2.getSubresources().getStatus()).isNotNull();
    assertThat(columns(v2)).containsExactly(
        VALID + " Valid string 0",
        ENFORCING + " Enforcing string 0",
        ".metadata.creationTimestamp Age date 0");
    assertSpecOrSpecsRule(v2);
    assertTypedRule(v2.getSchema().getOpenAPIV3Schema().getProperties().get("spec"));
    assertTypedRule(v2.getSchema().getOpenAPIV3Schema().getProperties().get("specs").getItems().getSchema());
  }

  @Test
  void ccnp() {
    CustomResourceDefinition crd = load("ciliumclusterwidenetworkpolicies.cilium.io");
    assertNames(crd, "CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicy", "Cluster", "ccnp");
    assertThat(crd.getSpec().getNames().getCategories()).containsExactly("cilium", "ciliumpolicy");
    CustomResourceDefinitionVersion v2 = v2(crd);
    assertThat(v2.getSubresources().getStatus()).isNotNull();
    assertThat(columns(v2)).containsExactly(VALID + " Valid string 0", ENFORCING + " Enforcing string 0");
    assertSpecOrSpecsRule(v2);
    assertTypedRule(v2.getSchema().getOpenAPIV3Schema().getProperties().get("spec"));
  }

  @Test
  void ciliumIdentity() {
    CustomResourceDefinition crd = load("ciliumidentities.cilium.io");
    assertNames(crd, "CiliumIdentity", "ciliumidentity", "Cluster", "ciliumid");
    assertThat(crd.getSpec().getNames().getCategories()).containsExactly("cilium");
    CustomResourceDefinitionVersion v2 = v2(crd);
    assertThat(v2.getSubresources().getStatus()).isNotNull();
    assertThat(columns(v2)).containsExactly(
        ".metadata.labels.io\\.kubernetes\\.pod\\.namespace Namespace string 0",
        ".metadata.creationTimestamp Age date 0");
    JSONSchemaProps root = v2.getSchema().getOpenAPIV3Schema();
    assertThat(root.getProperties()).containsOnlyKeys("security-labels");
    assertThat(root.getRequired()).containsExactly("security-labels");
    assertThat(root.getProperties().get("security-labels").getAdditionalProperties().getSchema().getType())
        .isEqualTo("string");
  }

  @Test
  void ciliumEndpoint() {
    CustomResourceDefinition crd = load("ciliumendpoints.cilium.io");
    assertNames(crd, "CiliumEndpoint", "ciliumendpoint", "Namespaced", "cep", "ciliumep");
    assertThat(crd.getSpec().getNames().getCategories()).containsExactly("cilium");
    CustomResourceDefinitionVersion v2 = v2(crd);
    assertThat(v2.getSubresources()).as("Cilium's agent writes CEP status with the object").isNull();
    assertThat(columns(v2)).containsExactly(
        ".status.identity.id Security Identity integer 0",
        ".status.policy.ingress.state Ingress Enforcement string 1",
        ".status.policy.egress.state Egress Enforcement string 1",
        ".status.state Endpoint State string 0",
        ".status.networking.addressing[0].ipv4 IPv4 string 0",
        ".status.networking.addressing[0].ipv6 IPv6 string 0");
    JSONSchemaProps root = v2.getSchema().getOpenAPIV3Schema();
    assertThat(root.getProperties()).containsOnlyKeys("status");
    JSONSchemaProps status = root.getProperties().get("status");
    assertThat(status.getProperties()).containsOnlyKeys("id", "external-identifiers", "identity", "networking",
        "encryption", "named-ports", "state", "service-account", "policy");
    assertThat(status.getProperties().get("state").getEnum()).extracting(n -> n.asText())
        .containsExactlyInAnyOrder("creating", "waiting-for-identity", "not-ready", "waiting-to-regenerate",
            "regenerating", "restoring", "ready", "disconnecting", "disconnected", "invalid");
    assertThat(status.getProperties().get("identity").getProperties().get("id").getType()).isEqualTo("integer");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ciliumnetworkpolicies.cilium.io", "ciliumclusterwidenetworkpolicies.cilium.io",
      "ciliumidentities.cilium.io", "ciliumendpoints.cilium.io"})
  void schemaIsStructuralWithNothingPreservedUnknown(String name) {
    assertThat(untyped(v2(load(name)).getSchema().getOpenAPIV3Schema(), "")).isEmpty();
  }

  private static void assertTypedRule(JSONSchemaProps rule) {
    JSONSchemaProps ingress = rule.getProperties().get("ingress").getItems().getSchema();
    JSONSchemaProps port = ingress.getProperties().get("toPorts").getItems().getSchema()
        .getProperties().get("ports").getItems().getSchema()
        .getProperties().get("port");
    assertThat(port.getType()).isEqualTo("string");
    JSONSchemaProps entity = ingress.getProperties().get("fromEntities").getItems().getSchema();
    assertThat(entity.getType()).isEqualTo("string");
    assertThat(entity.getEnum()).extracting(n -> n.asText()).containsExactlyInAnyOrder("all", "world", "cluster",
        "host", "init", "ingress", "unmanaged", "remote-node", "health", "none", "kube-apiserver");
  }

  private static void assertSpecOrSpecsRule(CustomResourceDefinitionVersion v2) {
    assertThat(v2.getSchema().getOpenAPIV3Schema().getXKubernetesValidations())
        .singleElement()
        .satisfies(rule -> {
          assertThat(rule.getRule()).isEqualTo("has(self.spec) || has(self.specs)");
          assertThat(rule.getMessage()).isEqualTo("spec or specs must be provided");
        });
  }

  private static void assertNames(
      CustomResourceDefinition crd, String kind, String singular, String scope, String... shortNames) {
    assertThat(crd.getSpec().getGroup()).isEqualTo("cilium.io");
    assertThat(crd.getSpec().getScope()).isEqualTo(scope);
    assertThat(crd.getSpec().getNames().getKind()).isEqualTo(kind);
    assertThat(crd.getSpec().getNames().getSingular()).isEqualTo(singular);
    assertThat(crd.getSpec().getNames().getPlural()).isEqualTo(crd.getMetadata().getName().split("\\.")[0]);
    assertThat(crd.getSpec().getNames().getShortNames()).containsExactly(shortNames);
  }

  private static CustomResourceDefinitionVersion v2(CustomResourceDefinition crd) {
    assertThat(crd.getSpec().getVersions()).hasSize(1);
    CustomResourceDefinitionVersion v2 = crd.getSpec().getVersions().get(0);
    assertThat(v2.getName()).isEqualTo("v2");
    assertThat(v2.getServed()).isTrue();
    assertThat(v2.getStorage()).isTrue();
    return v2;
  }

  /** Each column as "jsonPath name type priority", in CRD order: kubectl prints them in that order. */
  private static List<String> columns(CustomResourceDefinitionVersion version) {
    return version.getAdditionalPrinterColumns().stream()
        .map(c -> c.getJsonPath() + " " + c.getName() + " " + c.getType() + " " + priority(c))
        .collect(Collectors.toList());
  }

  private static int priority(CustomResourceColumnDefinition column) {
    return column.getPriority() == null ? 0 : column.getPriority();
  }

  /** Paths of schema nodes without a type or with unknown fields preserved. */
  private static List<String> untyped(JSONSchemaProps schema, String path) {
    Stream<String> here = schema.getType() == null && schema.getXKubernetesIntOrString() == null
            || Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields())
        ? Stream.of(path.isEmpty() ? "." : path)
        : Stream.empty();
    Stream<String> below = Stream.of(
            schema.getProperties() == null ? Stream.<String>empty()
                : schema.getProperties().entrySet().stream()
                    .flatMap(e -> untyped(e.getValue(), path + "." + e.getKey()).stream()),
            schema.getItems() == null || schema.getItems().getSchema() == null ? Stream.<String>empty()
                : untyped(schema.getItems().getSchema(), path + "[]").stream(),
            schema.getAdditionalProperties() == null || schema.getAdditionalProperties().getSchema() == null
                ? Stream.<String>empty()
                : untyped(schema.getAdditionalProperties().getSchema(), path + "{}").stream())
        .flatMap(s -> s);
    return Stream.concat(here, below).collect(Collectors.toList());
  }

  private static CustomResourceDefinition load(String name) {
    Path file = RepoRoot.find().resolve("operator/target/crds").resolve(name + "-v1.yml");
    try {
      return new KubernetesSerialization().unmarshal(Files.readString(file), CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file + ": run ./mvnw -pl operator process-classes", e);
    }
  }
}
