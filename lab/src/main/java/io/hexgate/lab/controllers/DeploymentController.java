package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each Deployment through ReplicaSets, as the deployment controller does: the ReplicaSet for the
 * current template is named {@code <deployment>-<pod-template-hash>} and carries the
 * {@code pod-template-hash} label in its selector and template; scaling the Deployment scales it. When
 * the template changes a new ReplicaSet gets all replicas and the old ones are scaled to zero once it is
 * fully available (a rollout with 100% surge). The Deployment's status adds up its ReplicaSets'.
 */
public final class DeploymentController implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeploymentController.class);
  public static final String POD_TEMPLATE_HASH = "pod-template-hash";
  static final String REVISION = "deployment.kubernetes.io/revision";

  private final KubernetesClient client;
  private final Clock clock;
  private final ReconcileLoop loop;

  public DeploymentController(KubernetesClient client, ClusterInformers informers, Clock clock) {
    this.client = client;
    this.clock = clock;
    this.loop = new ReconcileLoop("deployment", this::reconcile);
    informers.deployments.addEventHandler(Handlers.onChange((o, n) -> loop.enqueue(Keys.of(n != null ? n : o))));
    informers.replicaSets.addEventHandler(
        Handlers.onChange(
            (o, n) -> Owners.controllerKey(n != null ? n : o, "Deployment").ifPresent(loop::enqueue)));
  }

  public boolean idle() {
    return loop.idle();
  }

  void reconcile(String key) {
    String ns = Keys.namespace(key);
    Deployment d = client.apps().deployments().inNamespace(ns).withName(Keys.name(key)).get();
    if (d == null || Owners.deleting(d)) {
      return;
    }
    int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    List<ReplicaSet> owned = new ArrayList<>();
    for (ReplicaSet rs : client.apps().replicaSets().inNamespace(ns).list().getItems()) {
      if (Owners.controlledBy(rs, d) && !Owners.deleting(rs)) {
        owned.add(rs);
      }
    }
    Integer collisions = d.getStatus() == null ? null : d.getStatus().getCollisionCount();
    String hash = PodTemplateHash.of(d.getSpec().getTemplate(), collisions);
    String name = d.getMetadata().getName() + "-" + hash;
    Optional<ReplicaSet> found = owned.stream().filter(rs -> rs.getMetadata().getName().equals(name)).findFirst();
    ReplicaSet current;
    if (found.isPresent()) {
      current = found.get();
      if (!Objects.equals(current.getSpec().getReplicas(), replicas)) {
        current = scale(current, replicas);
      }
    } else {
      ReplicaSet squatter = client.apps().replicaSets().inNamespace(ns).withName(name).get();
      if (squatter != null) {
        // another object holds the name: hash again with a higher collision count, as Kubernetes does
        writeStatus(d, owned, null, collisions == null ? 1 : collisions + 1);
        return;
      }
      current = client.apps().replicaSets().resource(newReplicaSet(d, hash, replicas, nextRevision(owned))).create();
      log.debug("deployment {}: created replicaset {}", key, name);
    }
    boolean currentAvailable = replicas == 0 || available(current) >= replicas;
    List<ReplicaSet> all = new ArrayList<>();
    all.add(current);
    for (ReplicaSet old : owned) {
      if (old.getMetadata().getName().equals(name)) {
        continue;
      }
      if (currentAvailable && old.getSpec().getReplicas() != null && old.getSpec().getReplicas() > 0) {
        old = scale(old, 0);
      }
      all.add(old);
    }
    writeStatus(d, all, current, collisions);
  }

  // a merge patch of spec.replicas alone: no conflict with the replicaset controller's status writes
  private ReplicaSet scale(ReplicaSet rs, int replicas) {
    return client.apps().replicaSets().inNamespace(rs.getMetadata().getNamespace()).withName(rs.getMetadata().getName())
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":" + replicas + "}}");
  }

  private static int available(ReplicaSet rs) {
    return rs.getStatus() == null || rs.getStatus().getAvailableReplicas() == null ? 0 : rs.getStatus().getAvailableReplicas();
  }

  private static int count(Integer n) {
    return n == null ? 0 : n;
  }

  private static String nextRevision(List<ReplicaSet> owned) {
    long max = 0;
    for (ReplicaSet rs : owned) {
      Map<String, String> a = rs.getMetadata().getAnnotations();
      if (a != null && a.get(REVISION) != null) {
        try {
          max = Math.max(max, Long.parseLong(a.get(REVISION)));
        } catch (NumberFormatException e) {
          // someone else's annotation: ignore it, as Kubernetes does
        }
      }
    }
    return Long.toString(max + 1);
  }

  static ReplicaSet newReplicaSet(Deployment d, String hash, int replicas, String revision) {
    PodTemplateSpec t = d.getSpec().getTemplate();
    Map<String, String> labels = new HashMap<>();
    if (t.getMetadata() != null && t.getMetadata().getLabels() != null) {
      labels.putAll(t.getMetadata().getLabels());
    }
    labels.put(POD_TEMPLATE_HASH, hash);
    ObjectMeta tm = t.getMetadata() == null ? new ObjectMeta() : t.getMetadata();
    PodTemplateSpec template =
        new PodTemplateSpecBuilder(t).withMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder(tm).withLabels(labels).build()).build();
    LabelSelector base = d.getSpec().getSelector();
    LabelSelector selector =
        new LabelSelectorBuilder(base == null ? new LabelSelector() : base).addToMatchLabels(POD_TEMPLATE_HASH, hash).build();
    return new ReplicaSetBuilder()
        .withNewMetadata()
        .withName(d.getMetadata().getName() + "-" + hash)
        .withNamespace(d.getMetadata().getNamespace())
        .withLabels(labels)
        .addToAnnotations(REVISION, revision)
        .addToAnnotations("deployment.kubernetes.io/desired-replicas", Integer.toString(replicas))
        .withOwnerReferences(Owners.controllerReference(d))
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withMinReadySeconds(d.getSpec().getMinReadySeconds())
        .withSelector(selector)
        .withTemplate(template)
        .endSpec()
        .build();
  }

  private void writeStatus(Deployment d, List<ReplicaSet> all, ReplicaSet current, Integer collisions) {
    int replicas = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    int total = 0;
    int ready = 0;
    int available = 0;
    for (ReplicaSet rs : all) {
      if (rs.getStatus() != null) {
        total += count(rs.getStatus().getReplicas());
        ready += count(rs.getStatus().getReadyReplicas());
        available += count(rs.getStatus().getAvailableReplicas());
      }
    }
    int updated = current == null || current.getStatus() == null ? 0 : count(current.getStatus().getReplicas());
    DeploymentStatus old = d.getStatus();
    List<DeploymentCondition> conditions = new ArrayList<>();
    conditions.add(
        condition(old, "Available", available >= replicas, available >= replicas ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            available >= replicas ? "Deployment has minimum availability." : "Deployment does not have minimum availability."));
    boolean complete = current != null && updated == replicas && available >= replicas && total == replicas;
    conditions.add(
        condition(old, "Progressing", true, complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
            current == null ? "Waiting for a new ReplicaSet name." : "ReplicaSet \"" + current.getMetadata().getName() + "\" "
                + (complete ? "has successfully progressed." : "is progressing.")));
    DeploymentStatus status =
        new DeploymentStatusBuilder()
            .withObservedGeneration(d.getMetadata().getGeneration())
            .withReplicas(total)
            .withUpdatedReplicas(updated)
            .withReadyReplicas(ready)
            .withAvailableReplicas(available)
            .withUnavailableReplicas(Math.max(0, replicas - available) == 0 ? null : Math.max(0, replicas - available))
            .withCollisionCount(collisions)
            .withConditions(conditions)
            .build();
    if (status.equals(old)) {
      return;
    }
    d.setStatus(status);
    d.getMetadata().setResourceVersion(null);
    client.apps().deployments().resource(d).updateStatus();
  }

  /** A condition keeping its earlier transition and update times while its status and reason stay. */
  private DeploymentCondition condition(DeploymentStatus old, String type, boolean status, String reason, String message) {
    String value = status ? "True" : "False";
    if (old != null && old.getConditions() != null) {
      for (DeploymentCondition c : old.getConditions()) {
        if (type.equals(c.getType()) && value.equals(c.getStatus()) && reason.equals(c.getReason()) && message.equals(c.getMessage())) {
          return c;
        }
      }
    }
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    return new DeploymentConditionBuilder()
        .withType(type)
        .withStatus(value)
        .withReason(reason)
        .withMessage(message)
        .withLastTransitionTime(now)
        .withLastUpdateTime(now)
        .build();
  }

  @Override
  public void close() {
    loop.close();
  }
}
