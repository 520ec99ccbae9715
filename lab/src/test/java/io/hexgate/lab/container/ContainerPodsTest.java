package io.hexgate.lab.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.FileTrees;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.lab.Lab;
import io.hexgate.lab.LabOptions;
import io.hexgate.lab.controlplane.ControlPlaneBinaries;
import io.hexgate.operator.RepoRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pods of an image from the lab's image store run as runc containers in a one-node lab (the real control
 * plane where it is built, else the embedded one): a busybox image this test builds with umoci. Needs root,
 * runc and umoci and a static busybox (scripts/ensure-host-tools.sh); skips with the reason otherwise.
 */
class ContainerPodsTest {
  private static final String PREFIX = "hgl-r";
  private static final String IMAGE = "example.test/hexgate-lab-busybox:1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path work;
  private static Lab lab;
  private static KubernetesClient client;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "skipped: " + NetNs.unavailable().orElse(""));
    Assumptions.assumeTrue(Runc.unavailable().isEmpty(), () -> "skipped: " + Runc.unavailable().orElse(""));
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "skipped: no /bin/busybox (busybox-static, scripts/ensure-host-tools.sh)");
    work = Files.createTempDirectory("hexgate-containers");
    Path images = work.resolve("images");
    buildBusyboxArchive(images.resolve("busybox.oci.tar"));
    Path root = RepoRoot.find();
    Path bin = ControlPlaneBinaries.ensure(root, System.out).orElse(null);
    LabOptions options = new LabOptions(PREFIX, 1, work.resolve("state"), root.resolve("crds"), bin, root.resolve("config/rbac"), images);
    lab = Lab.start(options, System.out);
    client = lab.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (lab != null) {
      lab.close();
      assertThat(Runc.list(PREFIX)).as("containers left after the lab closed").isEmpty();
    }
    if (work != null) {
      FileTrees.delete(work);
    }
  }

  /** A layout with a static busybox and its applets, tagged with a full reference as the images module tags its archives. */
  private static void buildBusyboxArchive(Path archive) throws Exception {
    Path layout = work.resolve("layout");
    Path bundle = work.resolve("bundle");
    sh("umoci", "init", "--layout", layout.toString());
    sh("umoci", "new", "--image", layout + ":t");
    sh("umoci", "unpack", "--image", layout + ":t", bundle.toString());
    Path rootfs = bundle.resolve("rootfs");
    Files.createDirectories(rootfs.resolve("bin"));
    Files.createDirectories(rootfs.resolve("etc"));
    Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
    sh("chroot", rootfs.toString(), "/bin/busybox", "--install", "-s", "/bin");
    Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n");
    sh("umoci", "repack", "--image", layout + ":t", bundle.toString());
    sh("umoci", "config", "--image", layout + ":t", "--config.entrypoint", "/bin/sh", "--config.cmd", "-c", "--config.cmd", "sleep 3600",
        "--config.env", "FROM_IMAGE=yes", "--config.workingdir", "/");
    ObjectNode index = (ObjectNode) JSON.readTree(layout.resolve("index.json").toFile());
    ((ObjectNode) index.path("manifests").path(0).path("annotations")).put(ImageArchives.REF_ANNOTATION, IMAGE);
    JSON.writeValue(layout.resolve("index.json").toFile(), index);
    Files.createDirectories(archive.getParent());
    sh("tar", "-cf", archive.toString(), "-C", layout.toString(), ".");
  }

  private static void sh(String... cmd) {
    Commands.run(Duration.ofMinutes(2), List.of(cmd)).orThrow();
  }

  private static Pod run(String name, UnaryOperator<PodBuilder> shape) {
    PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
        .withNewSpec().withTerminationGracePeriodSeconds(2L).addNewContainer().withName("main").withImage(IMAGE).endContainer().endSpec();
    return client.resource(shape.apply(b).build()).create();
  }

  private static String log(String pod) throws Exception {
    Path f = lab.options().stateDir().resolve(Lab.CONTAINERS_DIR).resolve("node-1/logs/default_" + pod + "_main.log");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  private static String awaitLog(String pod, String contains) {
    await().atMost(Duration.ofSeconds(60)).until(() -> log(pod).contains(contains));
    try {
      return log(pod);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Pod current(String name) {
    return client.pods().inNamespace("default").withName(name).get();
  }

  @Test
  void aContainerRunsInItsPodsNetworkWithItsEnvironmentArgsAndVolumes() throws Exception {
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("settings").withNamespace("default").endMetadata()
        .addToData("greeting", "hello from a configmap").build()).create();
    run("envs", b -> b.editSpec().editFirstContainer()
        .withCommand("/bin/sh", "-c")
        .withArgs("ip -4 addr show eth0; echo \"ARG=$(POD_NAME) on $(NODE)\" '$$(literal) $(UNDEFINED)'; echo IMG=$FROM_IMAGE; "
            + "cat /config/greeting; echo; echo scratch > /scratch/f && cat /scratch/f; echo API=$KUBERNETES_SERVICE_HOST; sleep 3600")
        .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
        .addNewEnv().withName("NODE").withNewValueFrom().withNewFieldRef().withFieldPath("spec.nodeName").endFieldRef().endValueFrom().endEnv()
        .addNewVolumeMount().withName("config").withMountPath("/config").endVolumeMount()
        .addNewVolumeMount().withName("scratch").withMountPath("/scratch").endVolumeMount()
        .endContainer()
        .addNewVolume().withName("config").withNewConfigMap().withName("settings").endConfigMap().endVolume()
        .addNewVolume().withName("scratch").withNewEmptyDir().endEmptyDir().endVolume()
        .endSpec());
    await().atMost(Duration.ofSeconds(60)).until(() -> current("envs").getStatus() != null && current("envs").getStatus().getPodIP() != null
        && "Running".equals(current("envs").getStatus().getPhase()));
    String ip = current("envs").getStatus().getPodIP();
    String out = awaitLog("envs", "API=");
    assertThat(out).contains("inet " + ip + "/32")
        .contains("ARG=envs on node-1 $(literal) $(UNDEFINED)")
        .contains("IMG=yes")
        .contains("hello from a configmap")
        .contains("scratch")
        .contains("API=" + ApiServerRelay.ADDRESS);
    await().atMost(Duration.ofSeconds(30)).until(() -> current("envs").getStatus().getContainerStatuses().get(0).getReady());
  }

  /**
   * The readiness probe runs every minute, so only the startup probe's first success, which runs a readiness
   * probe at once as a kubelet does, makes the pod Ready within seconds of its process being up; before that
   * the container is neither started nor ready.
   */
  @Test
  void aStartupProbesSuccessRunsTheReadinessProbeAtOnce() throws Exception {
    List<String> up = List.of("/bin/test", "-f", "/up");
    run("slow", b -> b.editSpec().editFirstContainer()
        .withArgs("-c", "sleep 3; touch /up && echo UP; sleep 3600")
        .withNewStartupProbe().withNewExec().withCommand(up).endExec().withPeriodSeconds(1).withFailureThreshold(60).endStartupProbe()
        .withNewReadinessProbe().withNewExec().withCommand(up).endExec().withPeriodSeconds(60).endReadinessProbe()
        .endContainer().endSpec());
    await().atMost(Duration.ofSeconds(60)).until(() -> current("slow").getStatus() != null && "Running".equals(current("slow").getStatus().getPhase()));
    ContainerStatus starting = current("slow").getStatus().getContainerStatuses().get(0);
    if (!log("slow").contains("UP")) {
      assertThat(starting.getStarted()).as("started before the startup probe succeeded").isFalse();
      assertThat(starting.getReady()).as("ready before the startup probe succeeded").isFalse();
    }
    awaitLog("slow", "UP");
    long up1 = System.nanoTime();
    await().atMost(Duration.ofSeconds(30)).until(() -> current("slow").getStatus().getContainerStatuses().get(0).getReady());
    assertThat(Duration.ofNanos(System.nanoTime() - up1)).as("from up to Ready, with readiness probed every minute").isLessThan(Duration.ofSeconds(15));
    assertThat(current("slow").getStatus().getContainerStatuses().get(0).getStarted()).isTrue();
  }

  @Test
  void aReadOnlyRootRefusesWritesAndRunAsUserIsTheProcessUser() throws Exception {
    run("locked", b -> b.editSpec().editFirstContainer()
        .withArgs("-c", "id -u; touch /x && echo WROTE || echo REFUSED; sleep 3600")
        .withNewSecurityContext().withRunAsUser(65534L).withRunAsGroup(65534L).withReadOnlyRootFilesystem(true).endSecurityContext()
        .endContainer().endSpec());
    String out = awaitLog("locked", "REFUSED");
    assertThat(out.lines()).contains("65534", "REFUSED").doesNotContain("WROTE");
  }

  @Test
  void anExitedContainerIsRestartedAndADeletedPodsContainerStops() throws Exception {
    run("crasher", b -> b.editSpec().editFirstContainer().withArgs("-c", "echo started; sleep 1; exit 3").endContainer().endSpec());
    await().atMost(Duration.ofSeconds(60)).until(() -> {
      Pod p = current("crasher");
      List<ContainerStatus> cs = p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
      return cs != null && !cs.isEmpty() && cs.get(0).getRestartCount() >= 1 && cs.get(0).getLastState() != null
          && cs.get(0).getLastState().getTerminated() != null && cs.get(0).getLastState().getTerminated().getExitCode() == 3
          && log("crasher").lines().filter(l -> l.equals("started")).count() >= 2; // the second run has begun
    });

    run("doomed", b -> b);
    await().atMost(Duration.ofSeconds(60)).until(() -> Runc.list(PREFIX + "c-default_doomed_").size() == 1);
    client.pods().inNamespace("default").withName("doomed").delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> Runc.list(PREFIX + "c-default_doomed_").isEmpty() && current("doomed") == null);
  }

  @Test
  void aHostNetworkPodSeesItsNodesInterfaces() throws Exception {
    run("hostnet", b -> b.editSpec().withHostNetwork(true).editFirstContainer().withArgs("-c", "ip -4 addr; echo DONE; sleep 3600").endContainer().endSpec());
    String out = awaitLog("hostnet", "DONE");
    assertThat(out).contains("inet 172.31.0.11/24").contains("inet " + ApiServerRelay.ADDRESS + "/32");
    await().atMost(Duration.ofSeconds(30)).until(() -> "172.31.0.11".equals(current("hostnet").getStatus().getPodIP()));
  }

  @Test
  void aProjectedTokenIsABoundTokenOfThePodsServiceAccount() throws Exception {
    Assumptions.assumeFalse(lab.controlPlane().embedded(), "skipped: the embedded control plane issues no tokens (scripts/ensure-control-plane.sh builds the real one)");
    Pod pod = run("tokened", b -> b.editSpec().editFirstContainer()
        .withArgs("-c", "cat /var/run/secrets/hexgate/token; echo; echo NS=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace); "
            + "echo TOKEN-READ; sleep 3600")
        .addNewVolumeMount().withName("token").withMountPath("/var/run/secrets/hexgate").withReadOnly(true).endVolumeMount()
        .endContainer()
        .addNewVolume().withName("token").withNewProjected().addNewSource().withNewServiceAccountToken()
        .withAudience("hexgate").withExpirationSeconds(3600L).withPath("token").endServiceAccountToken().endSource().endProjected().endVolume()
        .endSpec());
    String out = awaitLog("tokened", "TOKEN-READ");
    String token = out.lines().findFirst().orElseThrow();
    assertThat(out).contains("NS=default"); // the default API access volume is there too
    TokenReview review = client.tokenReviews().create(new TokenReviewBuilder().withNewSpec().withToken(token).withAudiences("hexgate").endSpec().build());
    assertThat(review.getStatus().getAuthenticated()).isTrue();
    assertThat(review.getStatus().getUser().getUsername()).isEqualTo("system:serviceaccount:default:default");
    assertThat(review.getStatus().getUser().getExtra().get("authentication.kubernetes.io/pod-uid")).containsExactly(pod.getMetadata().getUid());
  }
}
