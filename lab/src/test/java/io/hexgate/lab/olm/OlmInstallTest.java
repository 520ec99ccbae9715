package io.hexgate.lab.olm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.lab.Lab;
import io.hexgate.lab.LabCleanup;
import io.hexgate.lab.LabOptions;
import io.hexgate.lab.controlplane.ControlPlaneBinaries;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle of this test's own (one owned CRD, a Deployment running the deathstar image the lab runs as a
 * workload, namespaced and cluster-wide permissions) installed through OLM in a lab on the real control
 * plane: Subscription, InstallPlan, CSV Succeeded, OLM's Deployment and RBAC; then uninstalled. Needs root,
 * the control plane ({@code scripts/ensure-control-plane.sh}) and OLM ({@code scripts/ensure-olm.sh}) built;
 * skips naming what is missing.
 */
class OlmInstallTest {
  private static final String PREFIX = "hgl-o";
  private static final String NAMESPACE = "olmtest";
  private static final String CSV = "olmtest-operator.v0.1.0";
  private static final String DEATHSTAR =
      "quay.io/cilium/starwars:v2.1@sha256:833d915ec68fca3ce83668fc5dae97c455b2134d8f23ef96586f55b894cfb1e8";
  private static final Path ROOT = Path.of(System.getProperty("hexgate.root", "..")).toAbsolutePath().normalize();
  private static final ByteArrayOutputStream progress = new ByteArrayOutputStream();

  @TempDir static Path state;
  @TempDir static Path bundle;
  private static Lab lab;

  @BeforeAll
  static void up() throws Exception {
    Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: " + NetNs.unavailable().orElse(""));
    PrintStream out = new PrintStream(progress, true, StandardCharsets.UTF_8);
    Optional<Path> controlPlane = ControlPlaneBinaries.ensure(ROOT, out);
    Assumptions.assumeTrue(controlPlane.isPresent(), "skipped: the real control plane cannot be built here (scripts/ensure-control-plane.sh)");
    Optional<OlmBinaries> olm = OlmBinaries.built(ROOT, out);
    Assumptions.assumeTrue(olm.isPresent(), "skipped: OLM is not built; run " + OlmBinaries.SCRIPT);
    writeBundle(bundle);
    LabOptions options = new LabOptions(PREFIX, 1, state, ROOT.resolve("crds"), controlPlane.get(), ROOT.resolve("config/rbac"))
        .withOlm(olm.get().dir());
    lab = Lab.start(options, out);
  }

  @AfterAll
  static void down() {
    if (lab != null) {
      lab.close();
    }
    LabCleanup.clean(PREFIX);
  }

  @Test
  void aSubscriptionInstallsTheBundleAndDeletingTheCsvRemovesWhatOlmMade() throws Exception {
    Olm olm = lab.olm().orElseThrow();
    KubernetesClient admin = lab.client();

    InstalledBundle installed = olm.installBundle(bundle, NAMESPACE, Duration.ofMinutes(4));

    assertThat(installed.csvName()).isEqualTo(CSV);
    GenericKubernetesResource csv = csv(admin);
    assertThat((String) csv.get("status", "phase")).isEqualTo("Succeeded");
    // the catalog operator applied the CRD from the InstallPlan, whose bundle came inline: no unpack job
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("widgets.olmtest.hexgate.io").get()).isNotNull();
    GenericKubernetesResource sub = olm.resources(Olm.OPERATORS_V1ALPHA1, "Subscription").inNamespace(NAMESPACE).withName("olmtest-operator").get();
    String plan = sub.get("status", "installPlanRef", "name");
    // the catalog operator marks its plan Complete on its next pass over it, which can come after the CSV succeeded
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      GenericKubernetesResource installPlan = olm.resources(Olm.OPERATORS_V1ALPHA1, "InstallPlan").inNamespace(NAMESPACE).withName(plan).get();
      assertThat((String) installPlan.get("status", "phase")).isEqualTo("Complete");
      Object bundleLookups = installPlan.get("status", "bundleLookups");
      assertThat(bundleLookups).isNull();
    });
    assertThat(admin.batch().v1().jobs().inAnyNamespace().list().getItems()).isEmpty();

    Deployment deployment = admin.apps().deployments().inNamespace(NAMESPACE).withName("olmtest-operator").get();
    assertThat(deployment.getMetadata().getLabels())
        .containsEntry("olm.owner", CSV)
        .containsEntry("olm.owner.kind", "ClusterServiceVersion")
        .containsEntry("olm.owner.namespace", NAMESPACE)
        .containsKey("olm.deployment-spec-hash");
    assertThat(deployment.getMetadata().getOwnerReferences()).anySatisfy(o -> assertThat(o.getName()).isEqualTo(CSV));
    List<Pod> pods = admin.pods().inNamespace(NAMESPACE).withLabel("app", "olmtest-operator").list().getItems();
    assertThat(pods).hasSize(1);
    assertThat(pods.get(0).getStatus().getPhase()).isEqualTo("Running");
    assertThat(pods.get(0).getSpec().getServiceAccountName()).isEqualTo("olmtest-operator");
    assertThat(pods.get(0).getMetadata().getAnnotations()).containsEntry("olm.targetNamespaces", NAMESPACE);

    assertThat(admin.serviceAccounts().inNamespace(NAMESPACE).withName("olmtest-operator").get()).isNotNull();
    List<ClusterRole> clusterRoles = csvClusterRoles(admin);
    assertThat(clusterRoles).singleElement().satisfies(r -> assertThat(r.getRules())
        .anySatisfy(rule -> assertThat(rule.getResources()).contains("widgets")));
    assertThat(admin.rbac().clusterRoleBindings().withLabel("olm.owner", CSV).list().getItems())
        .singleElement().satisfies(b -> assertThat(b.getSubjects()).singleElement()
            .satisfies(s -> assertThat(s.getName()).isEqualTo("olmtest-operator")));
    assertThat(admin.rbac().roles().inNamespace(NAMESPACE).withLabel("olm.owner", CSV).list().getItems())
        .singleElement().satisfies(r -> assertThat(r.getRules()).anySatisfy(rule -> assertThat(rule.getResources()).contains("configmaps")));

    olm.uninstall(installed);

    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      assertThat(csvOrNull(admin)).isNull();
      assertThat(admin.apps().deployments().inNamespace(NAMESPACE).withName("olmtest-operator").get()).isNull();
      assertThat(admin.pods().inNamespace(NAMESPACE).withLabel("app", "olmtest-operator").list().getItems()).isEmpty();
      assertThat(csvClusterRoles(admin)).isEmpty();
      assertThat(admin.rbac().clusterRoleBindings().withLabel("olm.owner", CSV).list().getItems()).isEmpty();
      assertThat(admin.rbac().roles().inNamespace(NAMESPACE).list().getItems()).noneMatch(r -> CSV.equals(r.getMetadata().getLabels().get("olm.owner")));
    });
    // OLM never removes CRDs
    assertThat(admin.apiextensions().v1().customResourceDefinitions().withName("widgets.olmtest.hexgate.io").get()).isNotNull();
  }

  private static GenericKubernetesResource csv(KubernetesClient admin) {
    GenericKubernetesResource csv = csvOrNull(admin);
    assertThat(csv).as(CSV).isNotNull();
    return csv;
  }

  private static GenericKubernetesResource csvOrNull(KubernetesClient admin) {
    return admin.genericKubernetesResources(Olm.OPERATORS_V1ALPHA1, "ClusterServiceVersion").inNamespace(NAMESPACE).withName(CSV).get();
  }

  private static List<ClusterRole> csvClusterRoles(KubernetesClient admin) {
    return admin.rbac().clusterRoles().withLabel("olm.owner", CSV).list().getItems();
  }

  /** A registry+v1 bundle: annotations, one CRD, a CSV with a Deployment and both kinds of permissions. */
  private static void writeBundle(Path dir) throws Exception {
    Files.createDirectories(dir.resolve("manifests"));
    Files.createDirectories(dir.resolve("metadata"));
    Files.writeString(dir.resolve("metadata/annotations.yaml"), """
        annotations:
          operators.operatorframework.io.bundle.mediatype.v1: registry+v1
          operators.operatorframework.io.bundle.manifests.v1: manifests/
          operators.operatorframework.io.bundle.metadata.v1: metadata/
          operators.operatorframework.io.bundle.package.v1: olmtest-operator
          operators.operatorframework.io.bundle.channels.v1: stable
          operators.operatorframework.io.bundle.channel.default.v1: stable
        """);
    Files.writeString(dir.resolve("manifests/widgets.olmtest.hexgate.io.yaml"), """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.olmtest.hexgate.io
        spec:
          group: olmtest.hexgate.io
          names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
          scope: Namespaced
          versions:
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    spec: {type: object, properties: {size: {type: integer}}}
        """);
    Files.writeString(dir.resolve("manifests/olmtest-operator.clusterserviceversion.yaml"), """
        apiVersion: operators.coreos.com/v1alpha1
        kind: ClusterServiceVersion
        metadata:
          name: %s
          namespace: placeholder
          annotations:
            alm-examples: '[{"apiVersion":"olmtest.hexgate.io/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"size":1}}]'
        spec:
          displayName: OLM test operator
          description: A bundle the lab's OLM test installs.
          version: 0.1.0
          provider: {name: Hexgate}
          maintainers: [{name: Hexgate, email: hexgate@example.com}]
          installModes:
            - {type: OwnNamespace, supported: true}
            - {type: SingleNamespace, supported: true}
            - {type: MultiNamespace, supported: false}
            - {type: AllNamespaces, supported: false}
          customresourcedefinitions:
            owned:
              - {name: widgets.olmtest.hexgate.io, version: v1, kind: Widget, displayName: Widget, description: A widget.}
          install:
            strategy: deployment
            spec:
              clusterPermissions:
                - serviceAccountName: olmtest-operator
                  rules:
                    - {apiGroups: [olmtest.hexgate.io], resources: [widgets], verbs: [get, list, watch]}
                    - {apiGroups: [""], resources: [nodes], verbs: [get, list]}
              permissions:
                - serviceAccountName: olmtest-operator
                  rules:
                    - {apiGroups: [""], resources: [configmaps], verbs: [get, create]}
              deployments:
                - name: olmtest-operator
                  spec:
                    replicas: 1
                    selector: {matchLabels: {app: olmtest-operator}}
                    template:
                      metadata: {labels: {app: olmtest-operator}}
                      spec:
                        serviceAccountName: olmtest-operator
                        containers:
                          - name: deathstar
                            image: %s
                            ports: [{containerPort: 80}]
        """.formatted(CSV, DEATHSTAR));
  }
}
