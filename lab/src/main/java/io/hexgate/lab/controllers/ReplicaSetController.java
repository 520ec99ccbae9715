package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each ReplicaSet's number of pods at {@code spec.replicas}: creates pods named
 * {@code <replicaset>-<5 random characters>} from the template, owned by the ReplicaSet, and deletes the
 * surplus (unscheduled first, then unready, then the newest), as the replicaset controller does. It reads
 * pods from the API, not from the informer cache, so a pod it just made is never made twice.
 */
public final class ReplicaSetController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaSetController.class);
  private final KubernetesClient client;
  private final ReconcileLoop loop;

  public ReplicaSetController(KubernetesClient client, ClusterInformers informers) {
    this.client = client;
    this.loop = new ReconcileLoop("replicaset", this::reconcile);
    informers.replicaSets.addEventHandler(Handlers.onChange((o, n) -> loop.enqueue(Keys.of(n != null ? n : o))));
    informers.pods.addEventHandler(
        Handlers.onChange(
            (o, n) -> {
              if (o != null) {
                Owners.controllerKey(o, "ReplicaSet").ifPresent(loop::enqueue);
              }
              if (n != null) {
                Owners.controllerKey(n, "ReplicaSet").ifPresent(loop::enqueue);
              }
            }));
  }

  public boolean idle() {
    return loop.idle();
  }

  void reconcile(String key) {
    String ns = Keys.namespace(key);
    ReplicaSet rs = client.apps().replicaSets().inNamespace(ns).withName(Keys.name(key)).get();
    if (rs == null || Owners.deleting(rs)) {
      return; // the garbage collector removes its pods
    }
    int desired = rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
    List<Pod> pods = new ArrayList<>();
    for (Pod p : client.pods().inNamespace(ns).list().getItems()) {
      if (Owners.controlledBy(p, rs) && PodConditions.active(p)) {
        pods.add(p);
      }
    }
    int diff = desired - pods.size();
    if (diff > 0) {
      for (int i = 0; i < diff; i++) {
        pods.add(createPod(rs));
      }
    } else if (diff < 0) {
      pods.sort(deletionOrder());
      for (Pod victim : List.copyOf(pods.subList(0, -diff))) {
        client.pods().inNamespace(ns).withName(victim.getMetadata().getName()).delete();
        pods.remove(victim);
      }
    }
    writeStatus(rs, pods);
  }

  private Pod createPod(ReplicaSet rs) {
    PodTemplateSpec t = rs.getSpec().getTemplate();
    ObjectMeta tm = t.getMetadata() == null ? new ObjectMeta() : t.getMetadata();
    for (int attempt = 0; ; attempt++) {
      Pod pod =
          new PodBuilder()
              .withNewMetadata()
              .withName(rs.getMetadata().getName() + "-" + Names.randomSuffix(5))
              // as Kubernetes' controller asks for it: what tells Hubble the pod is a replica (its workload)
              .withGenerateName(rs.getMetadata().getName() + "-")
              .withNamespace(rs.getMetadata().getNamespace())
              .withLabels(tm.getLabels())
              .withAnnotations(tm.getAnnotations())
              .withOwnerReferences(Owners.controllerReference(rs))
              .endMetadata()
              .withSpec(t.getSpec())
              .build();
      try {
        Pod made = client.pods().resource(pod).create();
        log.debug("replicaset {}: created pod {}", Keys.of(rs), made.getMetadata().getName());
        return made;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt >= 3) {
          throw e;
        }
      }
    }
  }

  /** Unscheduled pods first, then unready ones, then the newest, as the replicaset controller ranks them. */
  private static Comparator<Pod> deletionOrder() {
    Comparator<Pod> unscheduled = Comparator.comparing(p -> p.getSpec().getNodeName() != null);
    Comparator<Pod> unready = Comparator.comparing(PodConditions::ready);
    Comparator<Pod> newest =
        Comparator.comparing(
            (Pod p) -> Objects.requireNonNullElse(p.getMetadata().getCreationTimestamp(), ""), Comparator.reverseOrder());
    return unscheduled.thenComparing(unready).thenComparing(newest);
  }

  private void writeStatus(ReplicaSet rs, List<Pod> pods) {
    Map<String, String> templateLabels =
        rs.getSpec().getTemplate().getMetadata() == null ? Map.of() : rs.getSpec().getTemplate().getMetadata().getLabels();
    int ready = (int) pods.stream().filter(PodConditions::ready).count();
    int labeled =
        (int)
            pods.stream()
                .filter(p -> templateLabels == null || p.getMetadata().getLabels() != null && p.getMetadata().getLabels().entrySet().containsAll(templateLabels.entrySet()))
                .count();
    ReplicaSetStatus status =
        new ReplicaSetStatusBuilder()
            .withReplicas(pods.size())
            .withFullyLabeledReplicas(labeled)
            .withReadyReplicas(ready)
            .withAvailableReplicas(ready)
            .withObservedGeneration(rs.getMetadata().getGeneration())
            .build();
    if (status.equals(rs.getStatus())) {
      return;
    }
    rs.setStatus(status);
    rs.getMetadata().setResourceVersion(null);
    client.apps().replicaSets().resource(rs).updateStatus();
  }

  @Override
  public void close() {
    loop.close();
  }
}
