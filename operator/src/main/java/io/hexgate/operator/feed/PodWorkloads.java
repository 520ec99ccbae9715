package io.hexgate.operator.feed;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.hexgate.operator.policy.Endpoint;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pod's workload as Cilium derives it for Hubble (GetWorkloadMetaFromPod): from the pod's controller
 * owner reference alone, without reading the owner, so that it costs no watch on ReplicaSets or Jobs.
 */
public final class PodWorkloads {
  /**
   * A CronJob names its Jobs {@code <cronjob>-<scheduled time in minutes since the epoch>}: 8 digits
   * today, and Cilium allows up to 10.
   */
  private static final Pattern CRONJOB_JOB = Pattern.compile("(.+)-\\d{8,10}");

  private PodWorkloads() {}

  /**
   * The workload running {@code p}, or null: a pod a controller did not create (no generated name) or
   * with no controller owner has none.
   */
  public static Endpoint.Workload of(Pod p) {
    if (p.getMetadata() == null) {
      return null;
    }
    String generateName = p.getMetadata().getGenerateName();
    OwnerReference owner = controller(p.getMetadata());
    if (generateName == null || generateName.isEmpty() || owner == null || owner.getName() == null) {
      return null;
    }
    Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
    String kind = owner.getKind() == null ? "" : owner.getKind();
    String name = owner.getName();
    switch (kind) {
      case "ReplicaSet" -> {
        // A Deployment names its ReplicaSets <deployment>-<pod-template-hash>.
        String hash = labels.getOrDefault("pod-template-hash", "");
        if (!hash.isEmpty() && name.endsWith(hash)) {
          String deployment = name.endsWith("-" + hash) ? name.substring(0, name.length() - hash.length() - 1) : name;
          return new Endpoint.Workload(deployment, "Deployment");
        }
      }
      case "ReplicationController" -> {
        // OpenShift's DeploymentConfig labels the pods of its ReplicationControllers with its name.
        String config = labels.getOrDefault("deploymentconfig", "");
        if (!config.isEmpty()) {
          return new Endpoint.Workload(config, "DeploymentConfig");
        }
      }
      case "Job" -> {
        Matcher m = CRONJOB_JOB.matcher(name);
        if (m.matches()) {
          return new Endpoint.Workload(m.group(1), "CronJob");
        }
      }
      default -> {}
    }
    return new Endpoint.Workload(name, kind);
  }

  /** The owner reference with {@code controller: true}, or null; Kubernetes allows at most one. */
  public static OwnerReference controller(ObjectMeta m) {
    if (m.getOwnerReferences() == null) {
      return null;
    }
    for (OwnerReference r : m.getOwnerReferences()) {
      if (Boolean.TRUE.equals(r.getController())) {
        return r;
      }
    }
    return null;
  }
}
