package io.hexgate.operator.feed;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.hexgate.operator.policy.Endpoint.Workload;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A pod's workload from its controller owner reference, as Cilium derives it for Hubble. */
class PodWorkloadsTest {
  private static OwnerReference owner(String kind, String name, Boolean controller) {
    return new OwnerReferenceBuilder()
        .withApiVersion("apps/v1").withKind(kind).withName(name).withUid("uid-" + name).withController(controller)
        .build();
  }

  private static Pod pod(String generateName, Map<String, String> labels, OwnerReference... owners) {
    return new PodBuilder()
        .withNewMetadata().withNamespace("default").withName(generateName + "x7k2p").withGenerateName(generateName)
        .withLabels(labels).withOwnerReferences(List.of(owners)).endMetadata()
        .build();
  }

  @Test
  void shouldNameTheDeploymentBehindAReplicaSetNamedWithThePodTemplateHash() {
    Pod p = pod("deathstar-6c94dcc57b-", Map.of("pod-template-hash", "6c94dcc57b"),
        owner("ReplicaSet", "deathstar-6c94dcc57b", true));
    assertThat(PodWorkloads.of(p)).isEqualTo(new Workload("deathstar", "Deployment"));
    assertThat(PodEndpoints.toEndpoint(p).workload()).isEqualTo(new Workload("deathstar", "Deployment"));
  }

  @Test
  void shouldNameAReplicaSetNotMadeByADeploymentAsItself() {
    assertThat(PodWorkloads.of(pod("cache-", Map.of(), owner("ReplicaSet", "cache", true))))
        .isEqualTo(new Workload("cache", "ReplicaSet"));
    // a pod-template-hash the ReplicaSet's name does not end with says nothing about a Deployment
    assertThat(PodWorkloads.of(pod("cache-", Map.of("pod-template-hash", "abc123"), owner("ReplicaSet", "cache", true))))
        .isEqualTo(new Workload("cache", "ReplicaSet"));
  }

  @Test
  void shouldNameTheCronJobBehindAJobNamedWithItsScheduleTime() {
    assertThat(PodWorkloads.of(pod("backup-28912345-", Map.of(), owner("Job", "backup-28912345", true))))
        .isEqualTo(new Workload("backup", "CronJob"));
    assertThat(PodWorkloads.of(pod("nightly-report-2891234567-", Map.of(), owner("Job", "nightly-report-2891234567", true))))
        .isEqualTo(new Workload("nightly-report", "CronJob"));
  }

  @Test
  void shouldNameAJobWithoutAScheduleSuffixAsItself() {
    assertThat(PodWorkloads.of(pod("migrate-2-", Map.of(), owner("Job", "migrate-2", true))))
        .isEqualTo(new Workload("migrate-2", "Job"));
    assertThat(PodWorkloads.of(pod("pi-", Map.of(), owner("Job", "pi", true)))).isEqualTo(new Workload("pi", "Job"));
  }

  @Test
  void shouldNameOtherControllersAsThemselves() {
    assertThat(PodWorkloads.of(pod("db-", Map.of("controller-revision-hash", "db-5d8f"), owner("StatefulSet", "db", true))))
        .isEqualTo(new Workload("db", "StatefulSet"));
    assertThat(PodWorkloads.of(pod("fluentd-", Map.of(), owner("DaemonSet", "fluentd", true))))
        .isEqualTo(new Workload("fluentd", "DaemonSet"));
    assertThat(PodWorkloads.of(pod("legacy-", Map.of(), owner("ReplicationController", "legacy", true))))
        .isEqualTo(new Workload("legacy", "ReplicationController"));
    assertThat(PodWorkloads.of(pod("runner-", Map.of(), owner("Runner", "runner", true))))
        .isEqualTo(new Workload("runner", "Runner"));
  }

  @Test
  void shouldNameTheDeploymentConfigOfAnOpenShiftReplicationController() {
    assertThat(PodWorkloads.of(pod("web-3-", Map.of("deploymentconfig", "web"), owner("ReplicationController", "web-3", true))))
        .isEqualTo(new Workload("web", "DeploymentConfig"));
  }

  @Test
  void shouldGiveABarePodNoWorkload() {
    Pod bare = new PodBuilder().withNewMetadata().withNamespace("default").withName("tiefighter")
        .addToLabels("org", "empire").endMetadata().build();
    assertThat(PodWorkloads.of(bare)).isNull();
    assertThat(PodEndpoints.toEndpoint(bare).workload()).isNull();
  }

  @Test
  void shouldCountOnlyTheControllerOwner() {
    // owners that do not control the pod (an operator's bookkeeping, say) are no workload
    assertThat(PodWorkloads.of(pod("x-", Map.of(), owner("ConfigMap", "x", false), owner("Thing", "y", null)))).isNull();
    assertThat(PodWorkloads.of(pod("db-", Map.of(), owner("ConfigMap", "x", false), owner("StatefulSet", "db", true))))
        .isEqualTo(new Workload("db", "StatefulSet"));
  }

  @Test
  void shouldGiveAPodWhoseNameWasNotGeneratedNoWorkload() {
    // as Cilium: only a controller generates pod names, so a named pod is not one of its replicas
    Pod named = new PodBuilder()
        .withNewMetadata().withNamespace("default").withName("adopted")
        .withOwnerReferences(owner("ReplicaSet", "cache", true)).endMetadata()
        .build();
    assertThat(PodWorkloads.of(named)).isNull();
  }
}
